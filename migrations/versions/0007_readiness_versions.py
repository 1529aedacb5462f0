"""readiness: campaigns, instruments, domains and items get a version for optimistic concurrency

Revision ID: 0007_readiness_versions
Revises: 0006_group_session_version
Create Date: 2026-12-06

Saving a form loaded before someone else's save is refused instead of silently overwriting it (core.edits).
readiness_instrument already has ``version`` (the survey's version number), so its edit counter is ``revision``.
Existing rows start at 1 (server default).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_readiness_versions'
down_revision = '0006_group_session_version'
branch_labels = None
depends_on = None

COLUMNS = {
    'readiness_campaign': 'version',
    'readiness_instrument': 'revision',
    'readiness_domain': 'version',
    'readiness_item': 'version',
}


def upgrade():
    for table, column in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(column, sa.Integer(), server_default='1', nullable=False))


def downgrade():
    for table, column in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(column)

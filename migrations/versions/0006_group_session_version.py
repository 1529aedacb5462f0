"""caseload: group sessions can be corrected and removed, so they get a version for optimistic concurrency

Revision ID: 0006_group_session_version
Revises: 0005_readiness_open_answers
Create Date: 2026-11-23

Existing sessions start at version 1 (server default).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_group_session_version'
down_revision = '0005_readiness_open_answers'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('caseload_group_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    with op.batch_alter_table('caseload_group_session', schema=None) as batch_op:
        batch_op.drop_column('version')

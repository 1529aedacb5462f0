"""core: a team can be renamed, so it gets a version for optimistic concurrency (two tabs no longer overwrite)

Revision ID: 0009_team_version
Revises: 0008_group_version
Create Date: 2026-12-06

Existing teams start at version 1 (server default).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_team_version'
down_revision = '0008_group_version'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('core_team', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    with op.batch_alter_table('core_team', schema=None) as batch_op:
        batch_op.drop_column('version')

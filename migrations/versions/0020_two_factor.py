"""core: two-factor sign-in (core_two_factor: a person's encrypted TOTP secret and the last time step used;
core_recovery_code: their one-time recovery codes, as keyed hashes)

Revision ID: 0020_two_factor
Revises: 0019_note_kinds_item_version
Create Date: 2026-12-07

Nothing to copy: nobody has a second factor before this revision, and the agency setting that requires one
(two_factor_required) defaults to "no". The downgrade drops both tables (everyone signs in with the password only).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020_two_factor'
down_revision = '0019_note_kinds_item_version'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'core_two_factor',
        sa.Column('staff_id', sa.Integer(), nullable=False),
        sa.Column('secret', sa.String(length=255), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('confirmed_at', sa.DateTime(), nullable=True),
        sa.Column('last_step', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['staff_id'], ['core_staff.id'], name=op.f('fk_core_two_factor_staff_id_core_staff'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('staff_id', name=op.f('pk_core_two_factor')),
    )
    op.create_table(
        'core_recovery_code',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['staff_id'], ['core_staff.id'],
                                name=op.f('fk_core_recovery_code_staff_id_core_staff'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_core_recovery_code')),
    )
    with op.batch_alter_table('core_recovery_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_recovery_code_staff_id'), ['staff_id'], unique=False)


def downgrade():
    with op.batch_alter_table('core_recovery_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_recovery_code_staff_id'))
    op.drop_table('core_recovery_code')
    op.drop_table('core_two_factor')

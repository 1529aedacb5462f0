"""readiness: action plan, training sessions, champions

Revision ID: 0004_readiness_actions
Revises: 0003_readiness
Create Date: 2026-11-23

readiness_action is one step of a campaign's action plan (optimistic concurrency through its version column);
readiness_training_session is a planned training the training module records attendance against later;
readiness_champion names a staff member who promotes the peer role on a team.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_readiness_actions'
down_revision = '0003_readiness'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('readiness_training_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_readiness_training_session'))
    )
    op.create_table('readiness_champion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('since', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['core_staff.id'], name=op.f('fk_readiness_champion_staff_id_core_staff'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['core_team.id'], name=op.f('fk_readiness_champion_team_id_core_team'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_readiness_champion')),
    sa.UniqueConstraint('team_id', 'staff_id', name=op.f('uq_readiness_champion_team_id'))
    )
    with op.batch_alter_table('readiness_champion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_readiness_champion_staff_id'), ['staff_id'], unique=False)

    op.create_table('readiness_action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('domain_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('training_session_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('planned', 'in_progress', 'done')", name=op.f('ck_readiness_action_known_status')),
    sa.ForeignKeyConstraint(['campaign_id'], ['readiness_campaign.id'], name=op.f('fk_readiness_action_campaign_id_readiness_campaign'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['core_staff.id'], name=op.f('fk_readiness_action_created_by_id_core_staff')),
    sa.ForeignKeyConstraint(['domain_id'], ['readiness_domain.id'], name=op.f('fk_readiness_action_domain_id_readiness_domain'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['core_staff.id'], name=op.f('fk_readiness_action_owner_id_core_staff')),
    sa.ForeignKeyConstraint(['training_session_id'], ['readiness_training_session.id'], name=op.f('fk_readiness_action_training_session_id_readiness_training_session'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_readiness_action'))
    )
    with op.batch_alter_table('readiness_action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_readiness_action_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_readiness_action_domain_id'), ['domain_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_readiness_action_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_readiness_action_training_session_id'), ['training_session_id'], unique=False)



def downgrade():
    with op.batch_alter_table('readiness_action', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_readiness_action_training_session_id'))
        batch_op.drop_index(batch_op.f('ix_readiness_action_owner_id'))
        batch_op.drop_index(batch_op.f('ix_readiness_action_domain_id'))
        batch_op.drop_index(batch_op.f('ix_readiness_action_campaign_id'))

    op.drop_table('readiness_action')
    with op.batch_alter_table('readiness_champion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_readiness_champion_staff_id'))

    op.drop_table('readiness_champion')
    op.drop_table('readiness_training_session')

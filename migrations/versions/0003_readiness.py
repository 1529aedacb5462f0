"""readiness: instruments, campaigns, invitations, anonymous responses and their running totals

Revision ID: 0003_readiness
Revises: 0002_caseload
Create Date: 2026-11-23

readiness_response, readiness_answer, readiness_tally and readiness_response_count are made WITHOUT ROWID on
SQLite (sqlite_with_rowid=False; PostgreSQL ignores it), so no hidden sequence records the order responses
arrived in. readiness_response's key is a random hex string for the same reason.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_readiness'
down_revision = '0002_caseload'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('readiness_instrument',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('first_version_id', sa.Integer(), nullable=True),
    sa.Column('previous_version_id', sa.Integer(), nullable=True),
    sa.Column('builtin_key', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['core_staff.id'], name=op.f('fk_readiness_instrument_created_by_id_core_staff')),
    sa.ForeignKeyConstraint(['first_version_id'], ['readiness_instrument.id'], name=op.f('fk_readiness_instrument_first_version_id_readiness_instrument')),
    sa.ForeignKeyConstraint(['previous_version_id'], ['readiness_instrument.id'], name=op.f('fk_readiness_instrument_previous_version_id_readiness_instrument')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_readiness_instrument')),
    sa.UniqueConstraint('builtin_key', name=op.f('uq_readiness_instrument_builtin_key')),
    sa.UniqueConstraint('first_version_id', 'version', name=op.f('uq_readiness_instrument_first_version_id'))
    )
    with op.batch_alter_table('readiness_instrument', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_readiness_instrument_first_version_id'), ['first_version_id'], unique=False)

    op.create_table('readiness_campaign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('wave', sa.String(length=60), nullable=False),
    sa.Column('instrument_id', sa.Integer(), nullable=False),
    sa.Column('whole_organization', sa.Boolean(), nullable=False),
    sa.Column('opens_on', sa.Date(), nullable=False),
    sa.Column('closes_on', sa.Date(), nullable=False),
    sa.Column('copied_from_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('invitations_sent_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('closes_on >= opens_on', name=op.f('ck_readiness_campaign_closes_after_opening')),
    sa.ForeignKeyConstraint(['copied_from_id'], ['readiness_campaign.id'], name=op.f('fk_readiness_campaign_copied_from_id_readiness_campaign')),
    sa.ForeignKeyConstraint(['created_by_id'], ['core_staff.id'], name=op.f('fk_readiness_campaign_created_by_id_core_staff')),
    sa.ForeignKeyConstraint(['instrument_id'], ['readiness_instrument.id'], name=op.f('fk_readiness_campaign_instrument_id_readiness_instrument')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_readiness_campaign'))
    )
    with op.batch_alter_table('readiness_campaign', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_readiness_campaign_copied_from_id'), ['copied_from_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_readiness_campaign_instrument_id'), ['instrument_id'], unique=False)

    op.create_table('readiness_domain',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instrument_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('training_topic', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['instrument_id'], ['readiness_instrument.id'], name=op.f('fk_readiness_domain_instrument_id_readiness_instrument'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_readiness_domain')),
    sa.UniqueConstraint('instrument_id', 'code', name=op.f('uq_readiness_domain_instrument_id'))
    )
    op.create_table('readiness_campaign_team',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['readiness_campaign.id'], name=op.f('fk_readiness_campaign_team_campaign_id_readiness_campaign'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['core_team.id'], name=op.f('fk_readiness_campaign_team_team_id_core_team'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'team_id', name=op.f('pk_readiness_campaign_team'))
    )
    with op.batch_alter_table('readiness_campaign_team', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_readiness_campaign_team_team_id'), ['team_id'], unique=False)

    op.create_table('readiness_invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('invited_at', sa.DateTime(), nullable=False),
    sa.Column('draft', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('invited', 'started', 'completed')", name=op.f('ck_readiness_invitation_known_status')),
    sa.ForeignKeyConstraint(['campaign_id'], ['readiness_campaign.id'], name=op.f('fk_readiness_invitation_campaign_id_readiness_campaign'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['core_staff.id'], name=op.f('fk_readiness_invitation_staff_id_core_staff'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['core_team.id'], name=op.f('fk_readiness_invitation_team_id_core_team'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_readiness_invitation')),
    sa.UniqueConstraint('campaign_id', 'staff_id', name=op.f('uq_readiness_invitation_campaign_id')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_readiness_invitation_token_hash'))
    )
    with op.batch_alter_table('readiness_invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_readiness_invitation_staff_id'), ['staff_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_readiness_invitation_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_readiness_invitation_team_id'), ['team_id'], unique=False)

    op.create_table('readiness_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instrument_id', sa.Integer(), nullable=False),
    sa.Column('domain_id', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('text', sa.String(length=400), nullable=False),
    sa.Column('hint', sa.String(length=300), nullable=False),
    sa.Column('reversed', sa.Boolean(), nullable=False),
    sa.Column('options', sa.Text(), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.CheckConstraint("kind IN ('likert', 'single', 'multi', 'text')", name=op.f('ck_readiness_item_known_kind')),
    sa.ForeignKeyConstraint(['domain_id'], ['readiness_domain.id'], name=op.f('fk_readiness_item_domain_id_readiness_domain')),
    sa.ForeignKeyConstraint(['instrument_id'], ['readiness_instrument.id'], name=op.f('fk_readiness_item_instrument_id_readiness_instrument'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_readiness_item')),
    sa.UniqueConstraint('instrument_id', 'code', name=op.f('uq_readiness_item_instrument_id'))
    )
    with op.batch_alter_table('readiness_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_readiness_item_domain_id'), ['domain_id'], unique=False)

    op.create_table('readiness_response',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('role_group', sa.String(length=20), nullable=False),
    sa.Column('tenure_band', sa.String(length=20), nullable=False),
    sa.Column('submitted_on', sa.Date(), nullable=False),
    sa.CheckConstraint("role_group IN ('peer', 'clinical', 'other', 'manager', 'unsaid')", name=op.f('ck_readiness_response_known_role_group')),
    sa.CheckConstraint("tenure_band IN ('under_1', '1_to_3', '3_to_10', 'over_10', 'unsaid')", name=op.f('ck_readiness_response_known_tenure_band')),
    sa.ForeignKeyConstraint(['campaign_id'], ['readiness_campaign.id'], name=op.f('fk_readiness_response_campaign_id_readiness_campaign'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['core_team.id'], name=op.f('fk_readiness_response_team_id_core_team'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_readiness_response')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('readiness_response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_readiness_response_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_readiness_response_team_id'), ['team_id'], unique=False)

    op.create_table('readiness_response_count',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('team_key', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('role_group', sa.String(length=20), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['readiness_campaign.id'], name=op.f('fk_readiness_response_count_campaign_id_readiness_campaign'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'team_key', 'role_group', name=op.f('pk_readiness_response_count')),
    sqlite_with_rowid=False
    )
    op.create_table('readiness_answer',
    sa.Column('response_id', sa.String(length=32), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['readiness_item.id'], name=op.f('fk_readiness_answer_item_id_readiness_item')),
    sa.ForeignKeyConstraint(['response_id'], ['readiness_response.id'], name=op.f('fk_readiness_answer_response_id_readiness_response'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', 'item_id', 'value', name=op.f('pk_readiness_answer')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('readiness_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_readiness_answer_item_id'), ['item_id'], unique=False)

    op.create_table('readiness_tally',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('team_key', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('role_group', sa.String(length=20), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['readiness_campaign.id'], name=op.f('fk_readiness_tally_campaign_id_readiness_campaign'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['readiness_item.id'], name=op.f('fk_readiness_tally_item_id_readiness_item')),
    sa.PrimaryKeyConstraint('campaign_id', 'team_key', 'role_group', 'item_id', 'value', name=op.f('pk_readiness_tally')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('readiness_tally', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_readiness_tally_item_id'), ['item_id'], unique=False)



def downgrade():
    with op.batch_alter_table('readiness_tally', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_readiness_tally_item_id'))

    op.drop_table('readiness_tally')
    with op.batch_alter_table('readiness_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_readiness_answer_item_id'))

    op.drop_table('readiness_answer')
    op.drop_table('readiness_response_count')
    with op.batch_alter_table('readiness_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_readiness_response_team_id'))
        batch_op.drop_index(batch_op.f('ix_readiness_response_campaign_id'))

    op.drop_table('readiness_response')
    with op.batch_alter_table('readiness_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_readiness_item_domain_id'))

    op.drop_table('readiness_item')
    with op.batch_alter_table('readiness_invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_readiness_invitation_team_id'))
        batch_op.drop_index(batch_op.f('ix_readiness_invitation_status'))
        batch_op.drop_index(batch_op.f('ix_readiness_invitation_staff_id'))

    op.drop_table('readiness_invitation')
    with op.batch_alter_table('readiness_campaign_team', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_readiness_campaign_team_team_id'))

    op.drop_table('readiness_campaign_team')
    op.drop_table('readiness_domain')
    with op.batch_alter_table('readiness_campaign', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_readiness_campaign_instrument_id'))
        batch_op.drop_index(batch_op.f('ix_readiness_campaign_copied_from_id'))

    op.drop_table('readiness_campaign')
    with op.batch_alter_table('readiness_instrument', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_readiness_instrument_first_version_id'))

    op.drop_table('readiness_instrument')

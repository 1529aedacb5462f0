"""readiness: the ballot box (sent answers wait in readiness_ballot until a batch is released into the results)

Revision ID: 0011_readiness_ballots
Revises: 0010_referral_local_days
Create Date: 2026-12-06

A send now drops the answers in readiness_ballot; readiness.services.ballots releases them into the answer tables
and running totals in batches of at least the small-group threshold, in a transaction of its own.

Answers stored before this migration were written in the same transaction as their invitation. The upgrade
rewrites them so nothing links them any more: readiness_response keeps no team, role group or tenure band, and
its date becomes the wave's opening day; every row of the answer tables and totals is rewritten in this one
transaction, so on PostgreSQL they carry its transaction id instead of the sender's. On SQLite the rows' places in
the file stay as they were until the file is rewritten: run VACUUM after upgrading.

The downgrade drops readiness_ballot: run ``flask readiness release`` first, since ballots still waiting are lost.
The scrubbed columns cannot be restored.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_readiness_ballots'
down_revision = '0010_referral_local_days'
branch_labels = None
depends_on = None

REWRITTEN = {
    'readiness_answer': 'value',
    'readiness_open_answer': 'text',
    'readiness_item_tally': 'n',
    'readiness_domain_tally': 'points',
    'readiness_response_count': 'n',
}


def upgrade():
    op.create_table('readiness_ballot',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('team_key', sa.Integer(), nullable=False),
    sa.Column('role_group', sa.String(length=20), nullable=False),
    sa.Column('tenure_band', sa.String(length=20), nullable=False),
    sa.Column('answers', sa.Text(), nullable=False),
    sa.CheckConstraint("role_group IN ('peer', 'clinical', 'other', 'manager', 'unsaid')", name=op.f('ck_readiness_ballot_known_role_group')),
    sa.CheckConstraint("tenure_band IN ('under_1', '1_to_3', '3_to_10', 'over_10', 'unsaid')", name=op.f('ck_readiness_ballot_known_tenure_band')),
    sa.ForeignKeyConstraint(['campaign_id'], ['readiness_campaign.id'], name=op.f('fk_readiness_ballot_campaign_id_readiness_campaign'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_readiness_ballot')),
    sqlite_with_rowid=False
    )
    op.create_index(op.f('ix_readiness_ballot_campaign_id'), 'readiness_ballot', ['campaign_id'], unique=False)
    op.execute(
        "UPDATE readiness_response SET team_id = NULL, role_group = 'unsaid', tenure_band = 'unsaid', "
        "submitted_on = (SELECT c.opens_on FROM readiness_campaign c WHERE c.id = readiness_response.campaign_id)"
    )
    for table, column in REWRITTEN.items():
        op.execute(f"UPDATE {table} SET {column} = {column}")


def downgrade():
    op.drop_index(op.f('ix_readiness_ballot_campaign_id'), table_name='readiness_ballot')
    op.drop_table('readiness_ballot')

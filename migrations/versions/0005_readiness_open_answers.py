"""readiness: open answers filed by their words; running totals per domain and per item

Revision ID: 0005_readiness_open_answers
Revises: 0004_readiness_actions
Create Date: 2026-11-23

Free-text answers move from readiness_answer.text to readiness_open_answer, whose primary key starts with the
campaign, the question and a sort key (the casefolded first 100 characters). The results page reads the first few
answers of each open question, and the open-answers page pages through the rest, by index, so their cost does not
grow with the number of responses. readiness_answer keeps the chosen answers only. Like the other answer tables it
is WITHOUT ROWID on SQLite, so no hidden sequence records the order answers arrived in.

readiness_tally (one row per cell, item and answer: it grew towards teams x role groups x items x options as people
answered) is replaced by two smaller running totals, filled from it: readiness_domain_tally (points and answers per
cell and domain, reversed statements already turned round) for the scores, and readiness_item_tally (per item and
answer, whole organization) for the distributions and open-question counts. The downgrade rebuilds
readiness_tally from the answers.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_readiness_open_answers'
down_revision = '0004_readiness_actions'
branch_labels = None
depends_on = None

SORT_KEY_LENGTH = 100
CHUNK = 1000

open_answer = sa.table(
    'readiness_open_answer',
    sa.column('campaign_id', sa.Integer), sa.column('item_id', sa.Integer), sa.column('sort_key', sa.String),
    sa.column('response_id', sa.String), sa.column('text', sa.Text),
)


def _create_totals():
    op.create_table('readiness_domain_tally',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('team_key', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('role_group', sa.String(length=20), nullable=False),
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('answers', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['readiness_campaign.id'], name=op.f('fk_readiness_domain_tally_campaign_id_readiness_campaign'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['domain_id'], ['readiness_domain.id'], name=op.f('fk_readiness_domain_tally_domain_id_readiness_domain'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'team_key', 'role_group', 'domain_id', name=op.f('pk_readiness_domain_tally')),
    sqlite_with_rowid=False
    )
    op.create_index(op.f('ix_readiness_domain_tally_domain_id'), 'readiness_domain_tally', ['domain_id'], unique=False)
    op.create_table('readiness_item_tally',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['readiness_campaign.id'], name=op.f('fk_readiness_item_tally_campaign_id_readiness_campaign'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['readiness_item.id'], name=op.f('fk_readiness_item_tally_item_id_readiness_item')),
    sa.PrimaryKeyConstraint('campaign_id', 'item_id', 'value', name=op.f('pk_readiness_item_tally')),
    sqlite_with_rowid=False
    )
    op.create_index(op.f('ix_readiness_item_tally_item_id'), 'readiness_item_tally', ['item_id'], unique=False)
    op.execute(
        "INSERT INTO readiness_item_tally (campaign_id, item_id, value, n) "
        "SELECT campaign_id, item_id, value, SUM(n) FROM readiness_tally WHERE value > 0 "
        "GROUP BY campaign_id, item_id, value"
    )
    # Free text is counted from the answers that were moved (a blank one was tallied but is not an answer).
    op.execute(
        "INSERT INTO readiness_item_tally (campaign_id, item_id, value, n) "
        "SELECT campaign_id, item_id, 0, COUNT(*) FROM readiness_open_answer GROUP BY campaign_id, item_id"
    )
    op.execute(
        "INSERT INTO readiness_domain_tally (campaign_id, team_key, role_group, domain_id, points, answers) "
        "SELECT t.campaign_id, t.team_key, t.role_group, i.domain_id, "
        "SUM(t.n * CASE WHEN i.reversed THEN 6 - t.value ELSE t.value END), SUM(t.n) "
        "FROM readiness_tally t JOIN readiness_item i ON i.id = t.item_id "
        "WHERE i.kind = 'likert' AND i.domain_id IS NOT NULL AND t.value BETWEEN 1 AND 5 "
        "GROUP BY t.campaign_id, t.team_key, t.role_group, i.domain_id"
    )
    op.drop_index(op.f('ix_readiness_tally_item_id'), table_name='readiness_tally')
    op.drop_table('readiness_tally')


def _restore_tally():
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
    op.create_index(op.f('ix_readiness_tally_item_id'), 'readiness_tally', ['item_id'], unique=False)
    # Answers of people whose team was removed since count under "no team" (0) after a downgrade.
    op.execute(
        "INSERT INTO readiness_tally (campaign_id, team_key, role_group, item_id, value, n) "
        "SELECT r.campaign_id, COALESCE(r.team_id, 0), r.role_group, a.item_id, a.value, COUNT(*) "
        "FROM readiness_answer a JOIN readiness_response r ON r.id = a.response_id "
        "GROUP BY r.campaign_id, COALESCE(r.team_id, 0), r.role_group, a.item_id, a.value"
    )
    op.drop_index(op.f('ix_readiness_item_tally_item_id'), table_name='readiness_item_tally')
    op.drop_table('readiness_item_tally')
    op.drop_index(op.f('ix_readiness_domain_tally_domain_id'), table_name='readiness_domain_tally')
    op.drop_table('readiness_domain_tally')


def upgrade():
    op.create_table('readiness_open_answer',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('sort_key', sa.String(length=SORT_KEY_LENGTH), nullable=False),
    sa.Column('response_id', sa.String(length=32), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['readiness_campaign.id'], name=op.f('fk_readiness_open_answer_campaign_id_readiness_campaign'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['readiness_item.id'], name=op.f('fk_readiness_open_answer_item_id_readiness_item')),
    sa.ForeignKeyConstraint(['response_id'], ['readiness_response.id'], name=op.f('fk_readiness_open_answer_response_id_readiness_response'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'item_id', 'sort_key', 'response_id', name=op.f('pk_readiness_open_answer')),
    sqlite_with_rowid=False
    )
    op.create_index(op.f('ix_readiness_open_answer_response_id'), 'readiness_open_answer', ['response_id'], unique=False)

    connection = op.get_bind()
    found = connection.execute(sa.text(
        "SELECT r.campaign_id, a.item_id, a.response_id, a.text FROM readiness_answer a "
        "JOIN readiness_response r ON r.id = a.response_id "
        "WHERE a.value = 0 AND a.text IS NOT NULL AND a.text <> ''"
    )).all()
    rows = [
        {"campaign_id": campaign_id, "item_id": item_id, "sort_key": text.casefold()[:SORT_KEY_LENGTH],
         "response_id": response_id, "text": text}
        for campaign_id, item_id, response_id, text in found
    ]
    for start in range(0, len(rows), CHUNK):
        connection.execute(open_answer.insert(), rows[start:start + CHUNK])
    connection.execute(sa.text("DELETE FROM readiness_answer WHERE value = 0"))
    _create_totals()

    with op.batch_alter_table('readiness_answer', schema=None, table_kwargs={'sqlite_with_rowid': False}) as batch_op:
        batch_op.drop_column('text')


def downgrade():
    with op.batch_alter_table('readiness_answer', schema=None, table_kwargs={'sqlite_with_rowid': False}) as batch_op:
        batch_op.add_column(sa.Column('text', sa.Text(), nullable=True))
    op.execute(
        "INSERT INTO readiness_answer (response_id, item_id, value, text) "
        "SELECT response_id, item_id, 0, text FROM readiness_open_answer"
    )
    op.drop_index(op.f('ix_readiness_open_answer_response_id'), table_name='readiness_open_answer')
    op.drop_table('readiness_open_answer')
    _restore_tally()

"""issue 9: session times kept to the minute

Revision ID: 0012_anon2_readiness_anonymity
Revises: 0011_readiness_ballots
Create Date: 2026-12-08

core_auth_session.last_seen_at now keeps the start of the minute a session was last used in, never a finer time
(core.sessions): a page or a form sent, such as a readiness survey's answers, leaves no exact time in the session
table. The upgrade rounds the times stored before it down to their minute.

The downgrade changes nothing back: the seconds are gone.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012_anon2_readiness_anonymity'
down_revision = '0011_readiness_ballots'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("UPDATE core_auth_session SET last_seen_at = date_trunc('minute', last_seen_at)")
    else:  # SQLite keeps a time as text, written as SQLAlchemy writes it
        op.execute(
            "UPDATE core_auth_session SET last_seen_at = strftime('%Y-%m-%d %H:%M:00.000000', last_seen_at)"
        )


def downgrade():
    pass

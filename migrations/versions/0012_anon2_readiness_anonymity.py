"""issue 9: session times kept to the minute; sent emails keep no links

Revision ID: 0012_anon2_readiness_anonymity
Revises: 0011_readiness_ballots
Create Date: 2026-12-08

core_auth_session.last_seen_at now keeps the start of the minute a session was last used in, never a finer time
(core.sessions): a page or a form sent, such as a readiness survey's answers, leaves no exact time in the session
table. The upgrade rounds the times stored before it down to their minute.

core_outbox_email.body keeps its links (personal survey and invitation links) only until the email is sent or given
up on, then only each link's SHA-256 (core.mail.forget_links). The upgrade does the same to the emails already sent
or given up on.

The downgrade changes nothing back: the seconds and the links are gone.
"""
import hashlib
import re

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_anon2_readiness_anonymity'
down_revision = '0011_readiness_ballots'
branch_labels = None
depends_on = None

MAX_ATTEMPTS = 5  # core.mail.MAX_ATTEMPTS when this was written
LINK = re.compile(r"https?://[^\s<>\"']+")  # core.mail.LINK


def forget_links(body):  # core.mail.forget_links, as it was when this was written
    return LINK.sub(
        lambda found: f"[link removed once sent; SHA-256 {hashlib.sha256(found.group().encode()).hexdigest()}]", body
    )


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("UPDATE core_auth_session SET last_seen_at = date_trunc('minute', last_seen_at)")
    else:  # SQLite keeps a time as text, written as SQLAlchemy writes it
        op.execute(
            "UPDATE core_auth_session SET last_seen_at = strftime('%Y-%m-%d %H:%M:00.000000', last_seen_at)"
        )
    bind = op.get_bind()
    done = bind.execute(sa.text(
        "SELECT id, body FROM core_outbox_email WHERE sent_at IS NOT NULL OR attempts >= :limit"
    ), {"limit": MAX_ATTEMPTS}).all()
    for message_id, body in done:
        if LINK.search(body):
            bind.execute(sa.text("UPDATE core_outbox_email SET body = :body WHERE id = :id"),
                         {"body": forget_links(body), "id": message_id})


def downgrade():
    pass

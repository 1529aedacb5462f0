"""issue 9: a wave's own small-group threshold; session times kept to the minute; sent emails keep no links

Revision ID: 0013_readiness_anonymity
Revises: 0012_hiring_postings
Create Date: 2026-12-08

readiness_campaign.min_cell is the small-group threshold a wave takes from the agency's setting when its
invitations first go out, and keeps (readiness.services.thresholds). Waves already invited get the larger of 5 (what
their invitation emails promised: "groups of fewer than five") and the setting now, so none is shown at a lower
threshold than before or than promised.

core_auth_session.last_seen_at now keeps the start of the minute a session was last used in, never a finer time
(core.sessions): a page or a form sent, such as a readiness survey's answers, leaves no exact time in the session
table. The upgrade rounds the times stored before it down to their minute.

core_outbox_email.body keeps its links (personal survey and invitation links) only until the email is sent or given
up on, then only each link's SHA-256 (core.mail.forget_links). The upgrade does the same to the emails already sent
or given up on.

The downgrade drops min_cell (past waves then follow the setting again); the seconds and the links stay gone.
"""
import hashlib
import re

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_readiness_anonymity'
down_revision = '0012_hiring_postings'
branch_labels = None
depends_on = None

MAX_ATTEMPTS = 5  # core.mail.MAX_ATTEMPTS when this was written
LINK = re.compile(r"https?://[^\s<>\"']+")  # core.mail.LINK


def forget_links(body):  # core.mail.forget_links, as it was when this was written
    return LINK.sub(
        lambda found: f"[link removed once sent; SHA-256 {hashlib.sha256(found.group().encode()).hexdigest()}]", body
    )


def upgrade():
    with op.batch_alter_table('readiness_campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_cell', sa.Integer(), nullable=True))
    bind = op.get_bind()
    raw = bind.execute(sa.text("SELECT value FROM core_agency_setting WHERE key = 'readiness_min_cell'")).scalar()
    raw = (raw or '').strip()
    setting = int(raw) if raw.isascii() and raw.isdigit() else 5
    bind.execute(sa.text("UPDATE readiness_campaign SET min_cell = :n WHERE invitations_sent_at IS NOT NULL"),
                 {"n": max(5, setting)})

    if op.get_bind().dialect.name == 'postgresql':
        op.execute("UPDATE core_auth_session SET last_seen_at = date_trunc('minute', last_seen_at)")
    else:  # SQLite keeps a time as text, written as SQLAlchemy writes it
        op.execute(
            "UPDATE core_auth_session SET last_seen_at = strftime('%Y-%m-%d %H:%M:00.000000', last_seen_at)"
        )
    done = bind.execute(sa.text(
        "SELECT id, body FROM core_outbox_email WHERE sent_at IS NOT NULL OR attempts >= :limit"
    ), {"limit": MAX_ATTEMPTS}).all()
    for message_id, body in done:
        if LINK.search(body):
            bind.execute(sa.text("UPDATE core_outbox_email SET body = :body WHERE id = :id"),
                         {"body": forget_links(body), "id": message_id})


def downgrade():
    with op.batch_alter_table('readiness_campaign', schema=None) as batch_op:
        batch_op.drop_column('min_cell')

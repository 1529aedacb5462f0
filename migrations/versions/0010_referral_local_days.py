"""caseload: a referral keeps the agency's calendar day it came in and was seen on (received_on, seen_on)

Revision ID: 0010_referral_local_days
Revises: 0009_team_version
Create Date: 2026-12-06

"Today", the rounds list and the same-day-seen rate were UTC days, so an evening referral in New York fell on the
next day. The times stay stored in UTC; the local days are filled from them in the agency's time zone as it is set
now (the saved setting, else AGENCY_TIME_ZONE, else America/New_York), and "seen the same day" is worked out again
for every referral with a recorded visit. Downgrading drops the two columns; seen_same_day keeps the local answer.
"""
import os
from datetime import UTC
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010_referral_local_days'
down_revision = '0009_team_version'
branch_labels = None
depends_on = None

BATCH = 1000


def _zone(connection):
    saved = connection.execute(
        sa.text("SELECT value FROM core_agency_setting WHERE key = 'agency_time_zone'")
    ).scalar()
    for name in (saved, os.environ.get('AGENCY_TIME_ZONE'), 'America/New_York'):
        if name and name not in ('localtime', 'Factory', 'posixrules'):
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    raise RuntimeError('no time zone to fill the referrals\' local days with')


def _local_day(stored, zone):
    return None if stored is None else stored.replace(tzinfo=UTC).astimezone(zone).date()


def upgrade():
    with op.batch_alter_table('caseload_referral', schema=None) as batch_op:
        batch_op.add_column(sa.Column('received_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('seen_on', sa.Date(), nullable=True))

    connection = op.get_bind()
    zone = _zone(connection)
    referral = sa.table(
        'caseload_referral',
        sa.column('id', sa.Integer), sa.column('received_at', sa.DateTime), sa.column('seen_at', sa.DateTime),
        sa.column('received_on', sa.Date), sa.column('seen_on', sa.Date), sa.column('seen_same_day', sa.Boolean),
    )
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(referral.c.id, referral.c.received_at, referral.c.seen_at)
            .where(referral.c.id > last_id).order_by(referral.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        connection.execute(
            referral.update().where(referral.c.id == sa.bindparam('row_id')).values(
                received_on=sa.bindparam('day_in'), seen_on=sa.bindparam('day_seen'),
            ),
            [
                {'row_id': row.id, 'day_in': _local_day(row.received_at, zone), 'day_seen': _local_day(row.seen_at, zone)}
                for row in rows
            ],
        )
        last_id = rows[-1].id
    connection.execute(
        referral.update().where(referral.c.seen_on.is_not(None))
        .values(seen_same_day=referral.c.seen_on == referral.c.received_on)
    )

    with op.batch_alter_table('caseload_referral', schema=None) as batch_op:
        batch_op.alter_column('received_on', existing_type=sa.Date(), nullable=False)
        batch_op.create_index(batch_op.f('ix_caseload_referral_received_on'), ['received_on'], unique=False)


def downgrade():
    with op.batch_alter_table('caseload_referral', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_caseload_referral_received_on'))
        batch_op.drop_column('seen_on')
        batch_op.drop_column('received_on')

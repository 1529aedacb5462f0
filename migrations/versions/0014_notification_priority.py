"""core: notifications have a priority (normal or high); clients are found by date of birth (index)

Revision ID: 0014_notification_priority
Revises: 0013_readiness_anonymity
Create Date: 2026-12-07

Issue 10. A notice that a person barred from a protected record asked for emergency access, or that a new record may
duplicate a protected one, is high priority and shown as urgent. Existing notifications are normal. The index on a
client's date of birth serves the duplicate check at intake and the emergency-access match (both look up by date of
birth, then compare names normalised in Python).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014_notification_priority'
down_revision = '0013_readiness_anonymity'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('core_notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority', sa.String(length=10), server_default='normal', nullable=False))
        batch_op.create_check_constraint(op.f('ck_core_notification_known_priority'), "priority IN ('normal', 'high')")
    with op.batch_alter_table('caseload_client', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_caseload_client_date_of_birth'), ['date_of_birth'], unique=False)


def downgrade():
    with op.batch_alter_table('caseload_client', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_caseload_client_date_of_birth'))
    with op.batch_alter_table('core_notification', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_core_notification_known_priority'), type_='check')
        batch_op.drop_column('priority')

"""caseload: two more kinds of contact note, "transport only" and "clerical" (other tasks, not peer work);
supervision: an action item gets a version (closing several at once checks each one's)

Revision ID: 0019_note_kinds_item_version
Revises: 0018_training_sessions
Create Date: 2026-12-07

Issue 13 (role fidelity): driving a client with no peer support during the trip and paperwork were recorded under
"administration"; they now have kinds of their own, so role fidelity names them among the other tasks. Only the
check constraint on caseload_contact_note.kind changes (batch mode, so SQLite copies the table). The downgrade
records both kinds as administration again (indirect, as they were) before putting the old constraint back.

Existing action items start at version 1 (server default).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0019_note_kinds_item_version'
down_revision = '0018_training_sessions'
branch_labels = None
depends_on = None

OLD_KINDS = ('advocacy', 'resources', 'experiential', 'community', 'relationship', 'group', 'skills',
             'socialization', 'group_planning', 'administration', 'team_communication', 'supervision_training',
             'receiving_support', 'education', 'information')
NEW_KINDS = (*OLD_KINDS, 'transport_only', 'clerical')
NAME = 'ck_caseload_contact_note_known_kind'


def _condition(kinds):
    return "kind IN ({})".format(", ".join(f"'{kind}'" for kind in kinds))


def _swap(kinds):
    with op.batch_alter_table('caseload_contact_note', schema=None) as batch_op:
        batch_op.drop_constraint(op.f(NAME), type_='check')
        batch_op.create_check_constraint(op.f(NAME), _condition(kinds))


def upgrade():
    _swap(NEW_KINDS)
    with op.batch_alter_table('supervision_action_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    with op.batch_alter_table('supervision_action_item', schema=None) as batch_op:
        batch_op.drop_column('version')
    op.execute(sa.text(
        "UPDATE caseload_contact_note SET kind = 'administration', direct = false "
        "WHERE kind IN ('transport_only', 'clerical')"
    ))
    _swap(OLD_KINDS)

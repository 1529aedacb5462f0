"""caseload, core, hiring: four indexes the list pages need at scale (issue 14)

Revision ID: 0022_list_page_indexes
Revises: 0020_two_factor
Create Date: 2026-12-07

ix_caseload_assignment_current (client_id, ended_at, staff_id): the lists ask of every client "is it assigned to
this person now?" and of a page's clients "who holds them now?"; with only single-column indexes SQLite answered from
the staff_id or the ended_at one, reading the person's whole caseload for each client (48 s for a peer with 10,000
clients) or every current assignment. ix_caseload_client_lower_name (lower(name), id): the lists' order, so a page
is read in index order and stops after its rows. ix_core_staff_role_role (role, staff_id): "who holds this role?"
(the privacy officers the audit screen names, the supervisors to filter by) without reading every staff member's
roles. ix_hiring_candidate_posting_stage (posting_id, stage): a posting's candidates counted by stage from the
index alone. Nothing to copy; the downgrade drops all four.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022_list_page_indexes'
down_revision = '0020_two_factor'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_caseload_assignment_current', 'caseload_assignment', ['client_id', 'ended_at', 'staff_id'])
    op.create_index('ix_caseload_client_lower_name', 'caseload_client', [sa.text('lower(name)'), 'id'])


    op.create_index('ix_core_staff_role_role', 'core_staff_role', ['role', 'staff_id'])
    op.create_index('ix_hiring_candidate_posting_stage', 'hiring_candidate', ['posting_id', 'stage'])


def downgrade():
    op.drop_index('ix_hiring_candidate_posting_stage', table_name='hiring_candidate')
    op.drop_index('ix_core_staff_role_role', table_name='core_staff_role')
    op.drop_index('ix_caseload_client_lower_name', table_name='caseload_client')
    op.drop_index('ix_caseload_assignment_current', table_name='caseload_assignment')

"""caseload: two indexes the client lists need at scale (issue 14)

Revision ID: 0022_list_page_indexes
Revises: 0020_two_factor
Create Date: 2026-12-07

ix_caseload_assignment_client_staff (client_id, staff_id): the lists ask of every client "is it assigned to this
person?"; with only single-column indexes SQLite answered from the staff_id one, reading the person's whole
caseload for each client (48 s for a peer with 10,000 clients). ix_caseload_client_lower_name (lower(name), id): the
lists' order, so a page is read in index order and stops after its rows. Nothing to copy; the downgrade drops both.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022_list_page_indexes'
down_revision = '0020_two_factor'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_caseload_assignment_client_staff', 'caseload_assignment', ['client_id', 'staff_id'])
    op.create_index('ix_caseload_client_lower_name', 'caseload_client', [sa.text('lower(name)'), 'id'])


def downgrade():
    op.drop_index('ix_caseload_client_lower_name', table_name='caseload_client')
    op.drop_index('ix_caseload_assignment_client_staff', table_name='caseload_assignment')

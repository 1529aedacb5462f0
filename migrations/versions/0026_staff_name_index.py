"""core: the index supervision's compliance list reads in order (issue 14)

Revision ID: 0026_staff_name_index
Revises: 0023_candidate_list_index
Create Date: 2026-12-07

ix_core_staff_status_name (status, name, id): the compliance list shows the active peer specialists by name; with
only the status index SQLite read every active staff member and sorted them all for each page (3 ms of the page's
5 ms of SQL at 10,000 peer specialists). With it, a page is read in the index's order, each person's role is asked
on the role table's primary key, and the read stops after the page's rows. Nothing to copy; the downgrade drops
it.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0026_staff_name_index'
down_revision = '0023_candidate_list_index'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_core_staff_status_name', 'core_staff', ['status', 'name', 'id'])


def downgrade():
    op.drop_index('ix_core_staff_status_name', table_name='core_staff')

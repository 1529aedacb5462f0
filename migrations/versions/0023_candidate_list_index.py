"""hiring: the index a posting's candidate list reads in order (issue 14)

Revision ID: 0023_candidate_list_index
Revises: 0022_list_page_indexes
Create Date: 2026-12-07

ix_hiring_application_posting_created (posting_id, created_at): a posting's candidates are listed newest application
first; with only the posting_id and created_at indexes SQLite read every candidate of the posting and sorted them
all for each page (8 ms of a 17 ms page at 10,000 candidates). With it, a page is read in index order and the read
stops after its rows. Nothing to copy; the downgrade drops it.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0023_candidate_list_index'
down_revision = '0022_list_page_indexes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_hiring_application_posting_created', 'hiring_application', ['posting_id', 'created_at'])


def downgrade():
    op.drop_index('ix_hiring_application_posting_created', table_name='hiring_application')

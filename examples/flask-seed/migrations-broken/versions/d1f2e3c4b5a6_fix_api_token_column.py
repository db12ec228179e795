"""Fix API token column - ensure api_token exists

The seed report's "Before (Broken)" version: adds the column and the index
unconditionally, and drops them unconditionally.

Revision ID: d1f2e3c4b5a6
Revises: c682ef478e45
Create Date: 2025-11-25 17:41:02.551990

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd1f2e3c4b5a6'
down_revision = 'c682ef478e45'
branch_labels = None
depends_on = None


def upgrade():
    # Always tries to add column, fails if exists
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('api_token', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_user_api_token', ['api_token'], unique=True)


def downgrade():
    # Always tries to drop, fails if doesn't exist
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_index('ix_user_api_token')
        batch_op.drop_column('api_token')

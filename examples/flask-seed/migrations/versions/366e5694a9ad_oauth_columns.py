"""OAuth columns

Revision ID: 366e5694a9ad
Revises: 6793349c088c
Create Date: 2025-10-19 14:03:10.552871

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '366e5694a9ad'
down_revision = '6793349c088c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('oauth_provider', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('oauth_id', sa.String(length=128), nullable=True))
        batch_op.create_index('ix_user_oauth', ['oauth_provider', 'oauth_id'], unique=True)


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_index('ix_user_oauth')
        batch_op.drop_column('oauth_id')
        batch_op.drop_column('oauth_provider')

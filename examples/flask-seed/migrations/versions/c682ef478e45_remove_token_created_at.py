"""Remove token_created_at

Revision ID: c682ef478e45
Revises: 3e5106ee570c
Create Date: 2025-11-18 16:20:51.317764

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c682ef478e45'
down_revision = '3e5106ee570c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('token_created_at')


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_created_at', sa.DateTime(), nullable=True))

"""Fix API token column - ensure api_token exists

Revision ID: d1f2e3c4b5a6
Revises: c682ef478e45
Create Date: 2025-11-26 10:05:37.880123

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd1f2e3c4b5a6'
down_revision = 'c682ef478e45'
branch_labels = None
depends_on = None


def _column_exists(table, column):
    return op.get_bind().execute(sa.text(
        "SELECT COUNT(*) FROM information_schema.COLUMNS "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :t AND COLUMN_NAME = :c"
    ), {"t": table, "c": column}).scalar() > 0


def _index_exists(table, index):
    return op.get_bind().execute(sa.text(
        "SELECT COUNT(*) FROM information_schema.STATISTICS "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :t AND INDEX_NAME = :i"
    ), {"t": table, "i": index}).scalar() > 0


def upgrade():
    # Query to check if column exists; only add if missing; only create index if missing.
    if not _column_exists('user', 'api_token'):
        with op.batch_alter_table('user', schema=None) as batch_op:
            batch_op.add_column(sa.Column('api_token', sa.String(length=64), nullable=True))
    if not _index_exists('user', 'ix_user_api_token'):
        with op.batch_alter_table('user', schema=None) as batch_op:
            batch_op.create_index('ix_user_api_token', ['api_token'], unique=True)


def downgrade():
    # Use try/except for safe operations; gracefully handle missing index/column.
    try:
        with op.batch_alter_table('user', schema=None) as batch_op:
            batch_op.drop_index('ix_user_api_token')
    except Exception:
        pass
    try:
        with op.batch_alter_table('user', schema=None) as batch_op:
            batch_op.drop_column('api_token')
    except Exception:
        pass

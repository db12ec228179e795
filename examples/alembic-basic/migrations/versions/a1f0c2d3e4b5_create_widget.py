"""create widget

Revision ID: a1f0c2d3e4b5
Revises:
"""
from alembic import op
import sqlalchemy as sa

revision = "a1f0c2d3e4b5"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "widget",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
    )


def downgrade():
    op.drop_table("widget")

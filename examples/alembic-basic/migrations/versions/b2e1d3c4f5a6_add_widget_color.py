"""add widget color

Revision ID: b2e1d3c4f5a6
Revises: a1f0c2d3e4b5
"""
from alembic import op
import sqlalchemy as sa

revision = "b2e1d3c4f5a6"
down_revision = "a1f0c2d3e4b5"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("widget", sa.Column("color", sa.String(20), nullable=True, server_default="grey"))


def downgrade():
    op.drop_column("widget", "color")

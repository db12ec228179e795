"""index widget name

Revision ID: c3d2e1f0a9b8
Revises: b2e1d3c4f5a6
"""
from alembic import op

revision = "c3d2e1f0a9b8"
down_revision = "b2e1d3c4f5a6"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_widget_name", "widget", ["name"], unique=True)


def downgrade():
    op.drop_index("ix_widget_name", table_name="widget")

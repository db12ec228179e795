"""The seed app's models at head, in plain SQLAlchemy (for `alembic check`)."""
import sqlalchemy as sa

metadata = sa.MetaData()

user = sa.Table(
    "user",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("email", sa.String(120), nullable=False),
    sa.Column("password_hash", sa.String(256)),
    sa.Column("oauth_provider", sa.String(32)),
    sa.Column("oauth_id", sa.String(128)),
    sa.Column("api_token", sa.String(64)),
    sa.Index("ix_user_username", "username", unique=True),
    sa.Index("ix_user_email", "email", unique=True),
    sa.Index("ix_user_oauth", "oauth_provider", "oauth_id", unique=True),
    sa.Index("ix_user_api_token", "api_token", unique=True),
)

post = sa.Table(
    "post",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("user.id"), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("body", sa.Text),
    sa.Column("published", sa.Boolean, nullable=False),
    sa.Index("ix_post_user_id", "user_id"),
)

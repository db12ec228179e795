"""Plain env.py for the seed chain: URL from $DATABASE_URL (or the engine pytest-alembic
hands over in config.attributes["connection"]), metadata from models.py."""
import os
import sys
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection, create_engine, pool

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from models import metadata  # noqa: E402

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def run(connection):
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()


# pytest-alembic hands over an Engine (its documented `config.attributes["connection"]`).
connectable = config.attributes.get("connection")
if isinstance(connectable, Connection):
    run(connectable)
elif connectable is not None:
    with connectable.connect() as conn:
        run(conn)
else:
    url = config.get_main_option("sqlalchemy.url") or os.environ["DATABASE_URL"]
    engine = create_engine(os.environ.get("DATABASE_URL", url), poolclass=pool.NullPool)
    with engine.connect() as conn:
        run(conn)

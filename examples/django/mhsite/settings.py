"""Settings of the migration-harness Django example: two apps, `accounts` and `api` (whose
migrations depend on accounts'), on MySQL/MariaDB through PyMySQL.

The database comes from DATABASE_URL (mysql://user:password@host:port/name), as the harness
hands it. Without it the project uses an in-memory SQLite database, so commands that only
read the migration files (`showmigrations --plan`) work before any server exists.
"""
import os
from urllib.parse import unquote, urlsplit

import pymysql

pymysql.install_as_MySQLdb()

SECRET_KEY = "migration-harness-example-not-secret"
DEBUG = False
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = ["accounts", "api"]


def _database(url):
    if not url:
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
    u = urlsplit(url)
    return {
        "ENGINE": "django.db.backends.mysql",
        "NAME": u.path.lstrip("/"),
        "USER": unquote(u.username or ""),
        "PASSWORD": unquote(u.password or ""),
        "HOST": u.hostname or "127.0.0.1",
        "PORT": str(u.port or 3306),
        "OPTIONS": {"charset": "utf8mb4"},
    }


DATABASES = {"default": _database(os.environ.get("DATABASE_URL"))}

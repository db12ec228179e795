"""The seed report's application: a Flask app whose `User` model is at head.

Like the seed's production app, it loads a user at start-up (which SELECTs every mapped
column), so every `flask` command, `flask db upgrade` included, dies with
(1054, "Unknown column 'user.api_token' ...") whenever the database is behind the model:
the seed's tester had to add the column by hand before the upgrade could even start.
migration-harness runs the migrations without importing this app, and reports the blocked
deploy once (the `deploy` scenario).
"""
import os

from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import inspect

db = SQLAlchemy()
migrate = Migrate()


class User(db.Model):
    __tablename__ = "user"
    __table_args__ = (db.Index("ix_user_oauth", "oauth_provider", "oauth_id", unique=True),)

    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(64), nullable=False, unique=True, index=True)
    email = db.Column(db.String(120), nullable=False, unique=True, index=True)
    password_hash = db.Column(db.String(256))
    oauth_provider = db.Column(db.String(32))
    oauth_id = db.Column(db.String(128))
    api_token = db.Column(db.String(64), unique=True, index=True)


class Post(db.Model):
    __tablename__ = "post"

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user.id"), nullable=False, index=True)
    title = db.Column(db.String(200), nullable=False)
    body = db.Column(db.Text)
    published = db.Column(db.Boolean, nullable=False)


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    db.init_app(app)
    migrate.init_app(app, db, directory=os.environ.get("MIGRATIONS_DIR", "migrations"))
    with app.app_context():
        if inspect(db.engine).has_table("user"):
            User.query.filter_by(username="service").first()
    return app

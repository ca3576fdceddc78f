"""Opening our own SQL databases the same way everywhere (SQLite by default, PostgreSQL by URL).

The account service and the agents' console each keep tables of their own;
both take a SQLAlchemy URL from the environment, and both need the same two
things from a default SQLite file: a path anchored at the project root (not
wherever the process was started from) and connections that wait for a
writer instead of failing at once. Both bring their schema up to date with
their own Alembic migrations when they open their database (`migrate`).
"""

import os
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import MetaData, create_engine, inspect
from sqlalchemy.engine import Connection, Engine

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SQLITE_BUSY_SECONDS = 15


def resolve_database_url(url: str) -> str:
    """Anchors a relative SQLite path at the project root and creates its folder.

    SQLite fails obscurely when the folder is missing.
    """
    prefix = "sqlite:///"
    if not url.startswith(prefix) or ":memory:" in url:
        return url
    path = Path(url[len(prefix) :])
    if not path.is_absolute():
        path = PROJECT_ROOT / path
    path.parent.mkdir(parents=True, exist_ok=True)
    return prefix + str(path)


def open_engine(url: str) -> Engine:
    """An engine for `url`; SQLite connections wait up to SQLITE_BUSY_SECONDS for a writer."""
    url = resolve_database_url(url)
    if url.startswith("sqlite"):
        return create_engine(
            url,
            future=True,
            connect_args={"timeout": SQLITE_BUSY_SECONDS, "check_same_thread": False},
        )
    return create_engine(url, future=True, pool_pre_ping=True)


def migration_config(migrations: Path, connection: Connection | None = None) -> "AlembicConfig":
    """Alembic's configuration for the `migrations` folder of a service, on `connection`."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations))
    config.attributes["connection"] = connection
    return config


def migrate(engine: Engine, migrations: Path, metadata: MetaData) -> None:
    """Upgrades the database to the newest revision in `migrations`.

    A database built before the service had migrations (its tables made by `create_all`, no
    `alembic_version`) holds exactly the first revision's schema: it is stamped with it first,
    so that the later revisions reach it too.
    """
    from alembic import command
    from alembic.script import ScriptDirectory

    with engine.begin() as connection:
        config = migration_config(migrations, connection)
        tables = set(inspect(connection).get_table_names())
        first = ScriptDirectory.from_config(config).get_base()
        if first and "alembic_version" not in tables and tables & set(metadata.tables):
            command.stamp(config, first)
        command.upgrade(config, "head")


def run_migrations(metadata: MetaData, url_variable: str, default_url: str) -> None:
    """The body of each service's migrations/env.py: runs Alembic on the connection `migrate`
    passes or, from the `alembic` command line, on the database `url_variable` names."""
    from alembic import context

    def run(connection: Connection) -> None:
        # Batch mode: SQLite cannot alter a table in place, so autogenerate writes copy-and-move.
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()

    connection = context.config.attributes.get("connection")
    if connection is not None:
        run(connection)
        return
    with open_engine(os.environ.get(url_variable, "").strip() or default_url).begin() as connection:
        run(connection)

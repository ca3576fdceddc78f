"""The account service's and the console's migrations, on SQLite and on PostgreSQL: an empty
database, one at the first revision and one built by `create_all` before migrations existed all
reach the newest revision, whose schema is exactly the tables the code declares. Nothing here
names a revision but the first, so the tests keep their meaning as revisions are added."""

import secrets
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData
from sqlalchemy.engine import Engine
from support import free_port

from bot.database import migrate, migration_config, open_engine
from ops.processes import Supervisor
from ops.scaled import postgres
from ops.scaled.debian import servers
from services.accounts import storage
from services.console import schema

SERVICES = {
    "accounts": (storage.MIGRATIONS, storage.metadata),
    "console": (schema.MIGRATIONS, schema.metadata),
}


@pytest.fixture(scope="module")
def postgresql() -> Iterator[Callable[[], str]]:
    """A private PostgreSQL from Debian's packages, as `make run-scaled` starts it; hands out
    the URL of a new empty database at each call."""
    binaries = servers()
    work = Path(tempfile.mkdtemp(prefix="migrations-"))
    work.chmod(0o711)  # PostgreSQL runs as its own account and must reach its folder
    password, port = secrets.token_urlsafe(16), free_port()
    try:
        postgres.initialise(binaries["initdb"], work / "postgres", password)
        supervisor = Supervisor([postgres.service(binaries["postgres"], work / "postgres", port)], {})
        try:
            supervisor.start()

            def new_database() -> str:
                name = f"m{uuid.uuid4().hex[:12]}"
                postgres.create_databases(port, password, [name])
                return postgres.url(port, password, name)

            yield new_database
        finally:
            supervisor.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = (
        f"sqlite:///{tmp_path / 'service.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgresql")()
    )
    engine = open_engine(url)
    yield engine
    engine.dispose()


def _revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _assert_at_head_matching_the_code(engine: Engine, migrations: Path, metadata: MetaData) -> None:
    head = ScriptDirectory.from_config(migration_config(migrations)).get_current_head()
    assert _revision(engine) == head
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == [], "the newest revision differs from the tables in the code"


@pytest.mark.parametrize("service", SERVICES)
def test_an_empty_database_is_upgraded_to_head(engine: Engine, service: str) -> None:
    migrations, metadata = SERVICES[service]
    migrate(engine, migrations, metadata)
    _assert_at_head_matching_the_code(engine, migrations, metadata)
    migrate(engine, migrations, metadata)  # a second start changes nothing
    _assert_at_head_matching_the_code(engine, migrations, metadata)


@pytest.mark.parametrize("service", SERVICES)
def test_a_database_at_the_first_revision_is_upgraded_to_head(engine: Engine, service: str) -> None:
    migrations, metadata = SERVICES[service]
    first = ScriptDirectory.from_config(migration_config(migrations)).get_base()
    assert first is not None
    with engine.begin() as connection:
        command.upgrade(migration_config(migrations, connection), first)
    assert _revision(engine) == first
    migrate(engine, migrations, metadata)
    _assert_at_head_matching_the_code(engine, migrations, metadata)


@pytest.mark.parametrize("service", SERVICES)
def test_a_database_built_before_migrations_is_taken_over(engine: Engine, service: str) -> None:
    """Tables made by `create_all` (how the services built them before) are the first revision:
    stamped as such, then upgraded. Such a database is the first revision's tables without
    Alembic's version table (today's `create_all` would already hold the later revisions)."""
    migrations, metadata = SERVICES[service]
    first = ScriptDirectory.from_config(migration_config(migrations)).get_base()
    with engine.begin() as connection:
        command.upgrade(migration_config(migrations, connection), first)
        connection.exec_driver_sql("DROP TABLE alembic_version")
    migrate(engine, migrations, metadata)
    _assert_at_head_matching_the_code(engine, migrations, metadata)

"""Opening our own SQL databases the same way everywhere (SQLite by default, PostgreSQL by URL).

The account service and the agents' console each keep tables of their own;
both take a SQLAlchemy URL from the environment, and both need the same two
things from a default SQLite file: a path anchored at the project root (not
wherever the process was started from) and connections that wait for a
writer instead of failing at once.
"""

from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

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

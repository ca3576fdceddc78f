"""Tables and the database engine of the reference account service.

SQLAlchemy Core (no ORM) keeps every query visible at its call site and runs
unchanged on SQLite (the default) and PostgreSQL. Secrets are never stored in
a form that can be used: passwords as argon2 hashes, emailed link tokens as
SHA-256 digests, and rate-limit entries under a digest of the address.
"""

from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.types import TypeDecorator

from bot.database import migrate, open_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class UTCDateTime(TypeDecorator):
    """A timestamp that goes in and comes out as an aware UTC datetime.

    SQLite forgets time zones, so comparing what it returns with
    `datetime.now(timezone.utc)` would fail; storing naive UTC and re-attaching
    the zone on the way out keeps both databases alike.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


metadata = MetaData()

accounts = Table(
    "accounts",
    metadata,
    Column("email", String(320), primary_key=True),
    Column("password_hash", String(255), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# Addresses whose account was deleted, kept to enforce the reuse cooldown.
deleted_addresses = Table(
    "deleted_addresses",
    metadata,
    Column("email", String(320), primary_key=True),
    Column("deleted_at", UTCDateTime, nullable=False),
)

link_tokens = Table(
    "link_tokens",
    metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column("email", String(320), nullable=False, index=True),
    Column("purpose", String(32), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime, nullable=True),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("recipient", String(320), nullable=False, index=True),
    Column("sender", String(320), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("link", String(1024), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# When the last email of each kind went to each address (as a digest), for the resend window.
email_sends = Table(
    "email_sends",
    metadata,
    Column("address_sha256", String(64), primary_key=True),
    Column("kind", String(32), primary_key=True),
    Column("sent_at", UTCDateTime, nullable=False, index=True),
)

# One row per email request of a conversation (as a digest), for the per-conversation limit.
conversation_requests = Table(
    "conversation_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("requester_sha256", String(64), nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False, index=True),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

support_tickets = Table(
    "support_tickets",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("topic", String(100), nullable=False),
    Column("channel", String(64), nullable=False),
    Column("conversation_id", String(256), nullable=False),
    Column("email", String(320), nullable=True),
    Column("language", String(8), nullable=False),
    Column("summary", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # How the customer wants the answer when not in the chat: "email" (issue 14's "answer by
    # email" while waiting for a person), and the address they gave for it, if they gave one.
    Column("answer_by", String(16), nullable=True),
    Column("answer_email", String(320), nullable=True),
)


def utcnow() -> datetime:
    """The current time, aware and in UTC, as every column expects."""
    return datetime.now(timezone.utc)


def open_database(url: str) -> Engine:
    """An engine for `url`, its tables upgraded to the newest migration (migrations/)."""
    engine = open_engine(url)
    migrate(engine, MIGRATIONS, metadata)
    return engine

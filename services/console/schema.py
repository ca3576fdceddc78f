"""The console's tables, Rasa's `events` table as the console reads it, and the engines.

Two databases, because they have different owners: Rasa writes the tracker
store (the console only reads it, and deletes from it for retention and
erasure), the console owns everything else. SQLAlchemy Core keeps every query
visible and runs unchanged on SQLite and PostgreSQL. Times are epoch seconds
(floats), like the tracker's own timestamps, so the two compare directly.

The list page never reads `events`: it reads `summaries`, one row per
conversation kept up to date incrementally (services.console.sync), with an index
per filter that ends in `last_event_id`, the order of the list.
"""

from pathlib import Path

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    false,
    inspect,
)
from sqlalchemy.engine import Engine

from bot.database import migrate, open_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class TrackerStoreNotReady(RuntimeError):
    """Rasa has not created its tables in the configured tracker store yet."""


# --- Rasa's SQL tracker store (rasa/core/tracker_store.py, SQLTrackerStore.SQLEvent) ---
tracker_metadata = MetaData()
events = Table(
    "events",
    tracker_metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)

# --- the console's own database ---
metadata = MetaData()

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("created_at", Float, nullable=False),
    # An admin disables an account instead of deleting it, so that its audit history stays whole.
    Column("disabled", Boolean, nullable=False, default=False, server_default=false()),
)

# Server-side sessions under a keyed digest of the cookie, so a copy of this table signs no one in.
sessions = Table(
    "sessions",
    metadata,
    Column("token_digest", String(64), primary_key=True),
    Column("user_id", Integer, nullable=False, index=True),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False, index=True),
    Column("try_sender", String(64)),
)

# Sign-in attempts in the current window, per digest of a name or a client address: one row per
# key, so that counting an attempt is a single guarded update (services.console.auth.Throttle).
login_attempts = Table(
    "login_attempts",
    metadata,
    Column("key_digest", String(64), primary_key=True),
    Column("window_start", Float, nullable=False),
    Column("count", Integer, nullable=False),
)

sync_state = Table(
    "sync_state",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", Integer, nullable=False),
)

summaries = Table(
    "summaries",
    metadata,
    Column("conversation_id", String(255), primary_key=True),
    Column("channel", String(32), nullable=False, default=""),
    Column("language", String(8), nullable=False, default=""),
    Column("started_at", Float, nullable=False),
    Column("last_activity", Float, nullable=False),
    Column("last_event_id", Integer, nullable=False),
    Column("user_messages", Integer, nullable=False, default=0),
    Column("fallbacks", Integer, nullable=False, default=0),
    Column("low_confidence", Boolean, nullable=False, default=False),
    Column("outcome", String(16), nullable=False),
    Column("handoff_state", String(16), nullable=False, default=""),
    Column("agent_outcome", String(64)),
    Column("active_loop", String(64)),
    Column("last_intent", String(64)),
    Column("reviewed", Boolean, nullable=False, default=False),
    # The customers' messages and the agents' replies, lower-cased, for the text search.
    Column("search_text", Text, nullable=False, default=""),
    # What the live queue, the list and the context panel show without reading events (issue 14).
    Column("handoff_at", Float),  # when the assistant last handed the conversation to a person
    Column("handoff_reason", String(16)),  # asked (for a person), not_understood, other
    Column("person_request", String(16)),  # bot.person_request: waiting, withdrawn, by_email
    Column("last_message", String(200)),  # the customer's latest message, redacted, shortened
    Column("last_message_at", Float),
    Column("customer_email", String(255)),  # the address the customer gave, masked (j***@example.com)
    Column("customer_key", String(64)),  # sha256 of that address: the same customer's other conversations
    Column("ticket", String(32)),
    Column("locale", String(16)),  # the platform's locale, where it gives one
    Column("display_name", String(160)),  # the platform's name for the customer, where it gives one
    Column("first_agent_reply_at", Float),  # for the team's first-response time
    Column("first_agent", String(64)),  # the agent who answered first
    Column("satisfaction", Integer),  # the customer's 1-5 answer to the satisfaction question
    Index("ix_summaries_order", "last_event_id"),
    Index("ix_summaries_channel", "channel", "last_event_id"),
    Index("ix_summaries_language", "language", "last_event_id"),
    Index("ix_summaries_outcome", "outcome", "last_event_id"),
    Index("ix_summaries_low_confidence", "low_confidence", "last_event_id"),
    Index("ix_summaries_handoff", "handoff_state", "last_event_id"),
    Index("ix_summaries_reviewed", "reviewed", "last_event_id"),
    Index("ix_summaries_activity", "last_activity"),
    Index("ix_summaries_started", "started_at"),
    Index("ix_summaries_customer", "customer_key"),
    Index("ix_summaries_handoff_at", "handoff_state", "handoff_at"),
)

conversation_intents = Table(
    "conversation_intents",
    metadata,
    Column("conversation_id", String(255), primary_key=True),
    Column("intent", String(64), primary_key=True),
    Index("ix_conversation_intents_intent", "intent", "conversation_id"),
)

# Anonymous counts for the dashboard: customer messages per day, intent, language and channel.
intent_days = Table(
    "intent_days",
    metadata,
    Column("day", String(10), primary_key=True),
    Column("intent", String(64), primary_key=True),
    Column("language", String(8), primary_key=True),
    Column("channel", String(32), primary_key=True),
    Column("messages", Integer, nullable=False),
)

tags = Table(
    "tags",
    metadata,
    Column("conversation_id", String(255), primary_key=True),
    Column("tag", String(40), primary_key=True),
    Index("ix_tags_tag", "tag", "conversation_id"),
)

notes = Table(
    "notes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(255), nullable=False, index=True),
    Column("author", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("text", Text, nullable=False),
)

# An agent's correction of what the assistant understood of one customer message.
corrections = Table(
    "corrections",
    metadata,
    Column("event_id", Integer, primary_key=True),
    Column("conversation_id", String(255), nullable=False, index=True),
    Column("text", Text, nullable=False),
    # The message's entities (JSON), so that the exported example keeps its annotations.
    Column("entities", Text, nullable=False, default="[]"),
    Column("language", String(8), nullable=False, default=""),
    Column("predicted_intent", String(64)),
    Column("intent", String(64), nullable=False),
    Column("author", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
)

# Who holds a handed-over conversation right now (history is in the audit trail).
handoffs = Table(
    "handoffs",
    metadata,
    Column("conversation_id", String(255), primary_key=True),
    Column("agent", String(64), nullable=False),
    Column("taken_at", Float, nullable=False),
)

audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("conversation_id", String(255)),
    Column("detail", String(255), nullable=False, default=""),
    Index("ix_audit_conversation", "conversation_id", "id"),
)

# What retention and erasure removed: who, when, which conversations, how many events; never content.
erasures = Table(
    "erasures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("conversation_ids", Text, nullable=False),
    Column("event_count", Integer, nullable=False),
)

# Canned replies per language, managed by admins, inserted (and editable) in the composer.
canned_replies = Table(
    "canned_replies",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("language", String(8), nullable=False),
    Column("title", String(80), nullable=False),
    Column("text", Text, nullable=False),
    Column("updated_by", String(64), nullable=False),
    Column("updated_at", Float, nullable=False),
    Index("ix_canned_replies_language", "language", "title"),
)


def open_console_db(url: str) -> Engine:
    """The console's database, its tables upgraded to the newest migration (migrations/)."""
    engine = open_engine(url)
    migrate(engine, MIGRATIONS, metadata)
    return engine


def open_tracker_db(url: str) -> Engine:
    """Rasa's tracker store.

    On SQLite a missing `events` table is created exactly as Rasa creates it, so the
    console can start before Rasa's first run. Elsewhere the table is Rasa's to create
    (on PostgreSQL Rasa attaches its own id sequence): start Rasa once first.
    """
    engine = open_engine(url)
    if engine.dialect.name == "sqlite":
        tracker_metadata.create_all(engine)
    elif not inspect(engine).has_table("events"):
        raise TrackerStoreNotReady("the tracker store has no `events` table yet: start Rasa once first")
    return engine

"""bot.runtime.tracker_store: an error while storing one conversation fails that call, never the
process (Rasa's own SQL store calls `print_error_and_exit` on any ValueError)."""

import asyncio
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore as RasaSQLTrackerStore
from rasa.core.tracker_store import create_tracker_store
from rasa.core.utils import read_endpoints_from_path
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    SessionStarted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.runtime.tracker_store import SQLTrackerStore

ROOT = Path(__file__).resolve().parents[3]


def tracker(sender: str) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(sender, [UserUttered("hi")])


async def test_rasa_s_own_store_exits_the_process_on_a_lone_surrogate(
    tmp_path: Path,
) -> None:
    store = RasaSQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "rasa.db"))
    with pytest.raises(SystemExit):
        await store.save(tracker("sur\ud800"))


async def test_ours_fails_the_call_and_keeps_serving(tmp_path: Path) -> None:
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "ours.db"))
    with pytest.raises(UnicodeEncodeError):
        await store.save(tracker("sur\ud800"))
    await store.save(tracker("customer"))
    stored = await store.retrieve("customer")
    assert stored is not None and stored.latest_message.text == "hi"


@pytest.mark.parametrize("endpoints", ["endpoints.yml", "endpoints-scaled.yml"])
def test_both_topologies_name_our_store(
    endpoints: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Rasa falls back to an in-memory store, with only a warning, when a module path is
    wrong: the type in each endpoints file must resolve to our class."""
    for name in (
        "ACTION_ENDPOINT_URL",
        "TRACKER_DB_HOST",
        "TRACKER_DB_PORT",
        "TRACKER_DB_NAME",
        "TRACKER_DB_USER",
        "TRACKER_DB_PASSWORD",
        "LOCK_STORE_HOST",
        "LOCK_STORE_PORT",
        "LOCK_STORE_PASSWORD",
    ):
        monkeypatch.setenv(name, "1")
    config = read_endpoints_from_path(ROOT / endpoints).tracker_store
    assert config.type == "bot.runtime.tracker_store.SQLTrackerStore"
    if endpoints == "endpoints.yml":
        monkeypatch.chdir(tmp_path)
        (tmp_path / "var").mkdir()
        assert isinstance(create_tracker_store(config, Domain.empty()), SQLTrackerStore)


# --- a turn costs the same at any length of conversation, with several workers, and stays correct


class Statements:
    """The SQL statements a store sends, and the threads it sends them from."""

    def __init__(self, store: SQLTrackerStore) -> None:
        self.sql: list[str] = []
        self.threads: set[str] = set()
        sa.event.listen(store.engine, "before_cursor_execute", self._seen)

    def _seen(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.sql.append(statement.split()[0].upper() + (" COUNT" if "count(" in statement else ""))
        self.threads.add(threading.current_thread().name)

    def take(self) -> list[str]:
        seen, self.sql = self.sql, []
        return seen


def store_at(path: Path) -> SQLTrackerStore:
    return SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(path))


async def stored(path: Path, sender: str) -> list[dict[str, Any]]:
    """The conversation as Rasa's own store reads it from the database."""
    tracker = await RasaSQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(path)).retrieve(sender)
    return [e.as_dict() for e in tracker.events] if tracker else []


def events_of(tracker: DialogueStateTracker) -> list[dict[str, Any]]:
    return [e.as_dict() for e in tracker.events]


async def turn(store: SQLTrackerStore, sender: str, text: str) -> DialogueStateTracker:
    """What the processor does with the store in one turn: retrieve, append, save."""
    tracker = await store.retrieve(sender) or DialogueStateTracker(sender, [])
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(UserUttered(text, {"name": "greet", "confidence": 1.0}))
    tracker.update(ActionExecuted("utter_greet"))
    tracker.update(BotUttered(f"echo {text}"))
    await store.save(tracker)
    return tracker


async def test_a_turn_reads_only_the_rows_after_the_kept_tracker(
    tmp_path: Path,
) -> None:
    store = store_at(tmp_path / "t.db")
    statements = Statements(store)
    await turn(store, "c", "zero")  # a new conversation: Rasa's save, nothing kept yet
    first = await turn(store, "c", "one")  # read from the database, then kept
    for number in range(2, 30):
        tracker = await turn(store, "c", f"message {number}")
        assert tracker is first  # the kept tracker, not a replay of the database
    statements.take()
    await turn(store, "c", "last")
    assert statements.take() == ["SELECT", "INSERT"]  # one read, one write, no COUNT
    assert events_of(first) == await stored(tmp_path / "t.db", "c")
    assert statements.threads and "MainThread" not in statements.threads


async def test_a_new_conversation_is_saved_without_counting_its_rows(tmp_path: Path) -> None:
    """The processor's first turn: `get_or_create_tracker` (nothing stored: a new tracker, saved),
    the turn's events, the save; no COUNT, and the rows are those Rasa's own store writes."""
    ours, rasas = (
        store_at(tmp_path / "ours.db"),
        RasaSQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "rasa.db")),
    )
    statements = Statements(ours)
    trackers = []
    for store in (ours, rasas):
        tracker = await store.get_or_create_tracker("c")
        tracker.update(UserUttered("hello", {"name": "greet", "confidence": 1.0}))
        tracker.update(ActionExecuted("utter_greet"))
        await store.save(tracker)
        trackers.append(tracker)
    assert "SELECT COUNT" not in statements.take()

    def untimed(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in e.items() if k != "timestamp"} for e in events]

    ours_rows, rasas_rows = await stored(tmp_path / "ours.db", "c"), await stored(tmp_path / "rasa.db", "c")
    assert untimed(ours_rows) == untimed(rasas_rows) and len(ours_rows) == 3
    assert untimed(events_of(trackers[0])) == untimed(events_of(trackers[1]))
    again = await turn(ours, "c", "second")  # the next turn reads it back whole, and goes on
    assert events_of(again) == await stored(tmp_path / "ours.db", "c")
    assert "SELECT COUNT" not in statements.take()


async def test_a_conversation_found_empty_but_created_elsewhere_is_counted(tmp_path: Path) -> None:
    """`create_tracker` without the `retrieve` that found nothing is Rasa's (its save counts)."""
    store = store_at(tmp_path / "t.db")
    await turn(store, "c", "zero")
    statements = Statements(store)
    await store.create_tracker("c")
    assert "SELECT COUNT" in statements.take()


async def test_two_workers_take_turns_on_one_conversation(tmp_path: Path) -> None:
    """Behind a load balancer, each worker applies the rows the other stored meanwhile."""
    one, two = store_at(tmp_path / "t.db"), store_at(tmp_path / "t.db")
    for number in range(12):
        await turn(one if number % 2 else two, "c", f"message {number}")
    for store in (one, two):
        tracker = await store.retrieve("c")
        assert events_of(tracker) == await stored(tmp_path / "t.db", "c")
        assert [e.text for e in tracker.events if isinstance(e, UserUttered)] == [
            f"message {n}" for n in range(12)
        ]
        await store.save(tracker)


async def test_a_turn_that_fails_before_saving_leaves_nothing_behind(
    tmp_path: Path,
) -> None:
    store = store_at(tmp_path / "t.db")
    await turn(store, "c", "one")
    lent = await store.retrieve("c")
    lent.update(UserUttered("never saved", {"name": "greet", "confidence": 1.0}))
    # the turn failed: no save. The next turn reads what the database holds.
    again = await store.retrieve("c")
    assert again is not lent and events_of(again) == await stored(tmp_path / "t.db", "c")


async def test_a_failed_save_drops_the_kept_tracker(tmp_path: Path) -> None:
    store = store_at(tmp_path / "t.db")
    await turn(store, "c", "one")
    tracker = await store.retrieve("c")
    tracker.update(UserUttered("lost", {"name": "greet", "confidence": 1.0}))
    with sqlite3.connect(tmp_path / "t.db") as db:
        db.execute("ALTER TABLE events RENAME TO moved")
    with pytest.raises(sa.exc.OperationalError):
        await store.save(tracker)
    with sqlite3.connect(tmp_path / "t.db") as db:
        db.execute("ALTER TABLE moved RENAME TO events")
    again = await store.retrieve("c")
    assert again is not tracker and "lost" not in [e.text for e in again.events if isinstance(e, UserUttered)]


async def test_an_erased_conversation_is_not_served_from_memory(tmp_path: Path) -> None:
    store = store_at(tmp_path / "t.db")
    await turn(store, "c", "one")
    with sqlite3.connect(tmp_path / "t.db") as db:
        db.execute("DELETE FROM events WHERE sender_id = 'c'")
    assert await store.retrieve("c") is None
    other = store_at(tmp_path / "t.db")
    await turn(other, "c", "a new customer with the same id")
    tracker = await store.retrieve("c")
    assert events_of(tracker) == await stored(tmp_path / "t.db", "c")


async def test_a_session_started_elsewhere_starts_from_it_as_rasa_does(
    tmp_path: Path,
) -> None:
    one, two = store_at(tmp_path / "t.db"), store_at(tmp_path / "t.db")
    await turn(one, "c", "old session")
    tracker = await two.retrieve("c")
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))
    await two.save(tracker)
    fresh = await one.retrieve("c")
    assert events_of(fresh) == await stored(tmp_path / "t.db", "c")
    assert "old session" not in [e.text for e in fresh.events if isinstance(e, UserUttered)]


async def test_a_tracker_the_store_did_not_lend_is_saved_as_rasa_does(
    tmp_path: Path,
) -> None:
    store = store_at(tmp_path / "t.db")
    await turn(store, "c", "one")
    outsider = DialogueStateTracker.from_dict("c", await stored(tmp_path / "t.db", "c"))
    outsider.update(UserUttered("from the HTTP API", {"name": "greet", "confidence": 1.0}))
    await store.save(outsider)
    tracker = await store.retrieve("c")
    assert events_of(tracker) == await stored(tmp_path / "t.db", "c") == events_of(outsider)


def test_the_cache_size_is_checked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TRACKER_CACHE_SIZE", "many")
    with pytest.raises(ValueError, match="TRACKER_CACHE_SIZE"):
        store_at(tmp_path / "t.db")


async def test_concurrent_saves_on_sqlite_never_wait_for_its_lock(tmp_path: Path) -> None:
    """SQLite told not to wait at all for its write lock (busy timeout 0): 40 conversations
    saved at once from the store's threads all succeed, because they take turns in the process."""
    store = store_at(tmp_path / "t.db")

    @sa.event.listens_for(store.engine, "connect")
    def no_waiting(connection: Any, _record: Any) -> None:
        connection.execute("PRAGMA busy_timeout=0")

    for _ in range(3):
        await asyncio.gather(*(turn(store, f"c{n}", "hello") for n in range(40)))
    assert len(await stored(tmp_path / "t.db", "c7")) == 12


async def test_sqlite_commits_append_to_a_write_ahead_log_on_pooled_connections(tmp_path: Path) -> None:
    store = store_at(tmp_path / "t.db")
    connections: list[Any] = []
    sa.event.listen(store.engine, "connect", lambda connection, _record: connections.append(connection))
    for number in range(3):
        await turn(store, "c", f"message {number}")
    with sqlite3.connect(tmp_path / "t.db") as db:  # the mode is the database file's
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA synchronous").fetchone() == (1,)  # NORMAL
    assert len(connections) == 1  # every turn's queries on one kept connection
    assert await stored(tmp_path / "t.db", "c") == events_of(await store.retrieve("c"))

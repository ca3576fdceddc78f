"""The SQL tracker store endpoints.yml names (`type: bot.runtime.tracker_store.SQLTrackerStore`).

Two things differ from Rasa's own SQL store.

Errors fail a turn, never the process. Rasa's `SQLTrackerStore.session_scope` treats *any*
`ValueError` raised while a session is open as "the PostgreSQL schema is missing" and calls
`print_error_and_exit`: the whole Rasa process exits. A `UnicodeEncodeError` is a `ValueError`,
and so is psycopg2's refusal of a NUL character, so one message whose sender id held a lone
surrogate stopped the product for every customer. Here only the schema check itself can say the
schema is missing, and it raises an error instead of exiting; every other error fails the turn
that caused it (the REST channel answers 503, a platform turn is logged) and the process goes on
serving the others. The connectors refuse or repair such bytes before a turn exists
(connectors/webhook.py); this is the second wall, for whatever reaches the store another way.

A turn costs the same at turn 80 as at turn 1. Rasa's store reads every event of the session
back on every turn, deserialises each one (`Event.resolve_by_type` walks every subclass of
`Event` per event) and replays them into a new tracker; its save COUNTs the stored events to know
which are new. All of it ran synchronously on the event loop. Here:

- the tracker a turn saved is kept (per conversation, a bounded LRU of `TRACKER_CACHE_SIZE`
  conversations per worker, default 128, 0 for none) and lent to the next turn of
  the same conversation after one query that returns only the rows stored after the last row it
  knows: normally just the rows this worker saved itself; rows another worker saved meanwhile
  (several workers behind a load balancer) are applied to it; a conversation erased meanwhile, a
  new session, or anything unexpected reloads it from the database as Rasa would;
- a lent tracker leaves the cache until its turn saves it: a turn that fails before saving
  leaves nothing half-updated behind, and a second reader (outside the conversation lock) reads
  the database instead of sharing a tracker being changed;
- a save of the lent tracker inserts exactly the events appended since it was lent, in one
  statement, without the COUNT; any other save (a tracker the store did not lend) falls back to
  Rasa's COUNT and drops that conversation's cached tracker;
- full loads map event names to classes once, not per event;
- the two statements of every turn (the rows stored since, the insert of the new ones) are built
  once and run on a plain connection, not an ORM session: SQLAlchemy reuses their compiled form
  without working out a cache key at each execution (a third of the store's CPU before);
- every query runs in a worker thread (`asyncio.to_thread`), off the event loop;
- on SQLite (`make run`), the database is in write-ahead-log mode with `synchronous=NORMAL`, and
  connections are pooled. In SQLite's default rollback-journal mode every commit creates,
  fsyncs and deletes a journal file: 15 ms of wall time and 0.55 ms of CPU (mostly the kernel's)
  per commit on this machine's disk, with the database's write lock held throughout, so the
  saves of all conversations queued behind one another (about 65 turns per second at most). In
  WAL mode a commit appends to the log: 0.2 ms and 0.06 ms of CPU; the console and the other
  readers no longer wait for a writer either. What NORMAL gives up: after a power loss or a
  crash of the operating system (not of Rasa), the last transactions before it may be lost,
  never the database's consistency. Rasa's own store opened a new SQLite connection for every
  query (SQLAlchemy's default for SQLite files); a pool keeps them (0.14 -> 0.07 ms of CPU per
  query). SQLite lets one writer in at a time and makes a second one wait in its busy handler,
  which sleeps in steps of up to 100 ms: at 20 customers a few turns waited 0.3-0.9 s for their
  save (`make run`'s p99 490-600 ms). The store's writes in this process (the only writer of the
  file) take turns on a lock instead (p99 230-260 ms). PostgreSQL (`make run-scaled`) is
  configured as Rasa does it, and its pool checks a
  connection before lending it (`pool_pre_ping`): after PostgreSQL restarts, the pool's
  connections are all dead, and without the check the next turns of a few customers failed on
  them, one per connection, before the pool noticed.

Like Rasa's own count-based save, this relies on the conversation lock: only one turn of a
conversation writes at a time, whichever worker runs it.
"""

import asyncio
import contextlib
import itertools
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Generator, Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from pydantic import Field
from rasa.core import tracker_store as rasa_tracker_store
from rasa.core.tracker_store import ensure_schema_exists
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from rasa.shared.utils.common import all_subclasses
from sqlalchemy.pool import QueuePool

from bot.settings import EnvironmentSettings

logger = logging.getLogger(__name__)

CACHE_SIZE_VARIABLE = "TRACKER_CACHE_SIZE"
DEFAULT_CACHE_SIZE = 128  # conversations per worker; an 80-turn tracker holds ~3,400 events


class MissingSchemaError(RasaException):
    """The PostgreSQL schema named by POSTGRESQL_SCHEMA does not exist."""


@dataclass
class _Kept:
    """A tracker the store knows to match the database up to `last_id` plus `own_rows`; with no
    tracker, a conversation `retrieve` found nothing stored for (its `create_tracker` comes next)."""

    tracker: DialogueStateTracker | None
    length: int  # len(tracker.events) when stored or loaded: anything beyond is unsaved
    last_id: int  # id of the last row read from the database into `tracker` (0: none was read)
    own_rows: int  # rows this store inserted for it since `last_id` (ids not read back)
    lent: bool = False


def _event_classes() -> dict[str, type[Event]]:
    """Event name -> class, the first match in the order `Event.resolve_by_type` searches."""
    classes: dict[str, type[Event]] = {}
    for cls in all_subclasses(Event):
        classes.setdefault(cls.type_name, cls)
    return classes


def _sqlite_engine(url: sa.engine.URL) -> sa.engine.Engine:
    """An engine for the SQLite file at `url`: pooled connections, each in WAL mode with
    `synchronous=NORMAL` (see the module's docstring). A connection moves between the worker
    threads of `asyncio.to_thread`, one thread at a time (the pool lends it to one session)."""
    engine = sa.create_engine(url, poolclass=QueuePool, connect_args={"check_same_thread": False})

    @sa.event.listens_for(engine, "connect")
    def write_ahead_log(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


class StoreSettings(EnvironmentSettings):
    """The store's environment: how many conversations' trackers a worker keeps between turns."""

    cache_size: int = Field(
        DEFAULT_CACHE_SIZE,
        env=CACHE_SIZE_VARIABLE,
        ge=0,
        description="conversations whose tracker a worker keeps between turns (0: none)",
    )


class SQLTrackerStore(rasa_tracker_store.SQLTrackerStore):
    """Rasa's SQL tracker store whose errors fail a turn, whose turns cost the same at any
    length of conversation, and whose queries run off the event loop."""

    engine: sa.engine.Engine

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rasas_engine = self.engine
        # One writer at a time in this process (see the module's docstring); PostgreSQL's rows
        # lock on their own.
        self._one_writer: contextlib.AbstractContextManager[Any] = contextlib.nullcontext()
        if rasas_engine.dialect.name == "sqlite" and rasas_engine.url.database not in (None, "", ":memory:"):
            rasas_engine.dispose()
            self.engine = _sqlite_engine(rasas_engine.url)
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
            self._one_writer = threading.Lock()
        elif rasas_engine.dialect.name == "postgresql":
            rasas_engine.dispose()
            self.engine = sa.create_engine(
                rasas_engine.url,
                pool_pre_ping=True,
                **rasa_tracker_store.create_engine_kwargs(rasas_engine.url),
            )
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        self._kept: OrderedDict[str, _Kept] = OrderedDict()
        self._cache_size = StoreSettings.read().cache_size
        self._classes = _event_classes()
        # The two statements of every turn, built once (see the module's docstring).
        table = self.SQLEvent.__table__
        self._rows_since = (
            sa.select(table.c.id, table.c.type_name, table.c.data)
            .where(table.c.sender_id == sa.bindparam("sender_id"), table.c.id >= sa.bindparam("since"))
            .order_by(table.c.id)
        )
        self._insert_rows = sa.insert(table)

    @contextlib.contextmanager
    def session_scope(self) -> Generator[Any, None, None]:
        """A session around a series of operations; errors inside propagate unchanged."""
        session = self.sessionmaker()
        try:
            try:
                ensure_schema_exists(session)
            except ValueError as missing:
                raise MissingSchemaError(
                    f"The PostgreSQL schema '{missing}' does not exist: create it, or unset "
                    f"POSTGRESQL_SCHEMA to use the default schema."
                ) from None
            yield session
        finally:
            session.close()

    # --- reading

    def _deserialise(self, serialised: Iterable[str]) -> list[Event]:
        """Events from their stored JSON, as `rasa.shared.core.events.deserialise_events`."""
        events = []
        for data in serialised:
            parameters = json.loads(data)
            name = parameters.get("event")
            if name is None:
                continue
            cls = self._classes.get(name) or Event.resolve_by_type(name)
            event = cls._from_parameters(parameters) if cls else None
            if event is not None:
                events.append(event)
        return events

    def _load(self, sender_id: str, all_sessions: bool) -> _Kept | None:
        """The conversation's tracker rebuilt from the database (Rasa's query and replay)."""
        with self.session_scope() as session:
            rows = (
                self._event_query(session, sender_id, fetch_events_from_all_sessions=all_sessions)
                .with_entities(self.SQLEvent.id, self.SQLEvent.data)
                .all()
            )
        if not rows:
            return None
        tracker = DialogueStateTracker.from_events(
            sender_id,
            self._deserialise(data for _, data in rows),
            self.domain.slots,
            self.max_event_history,
        )
        return _Kept(tracker, len(tracker.events), rows[-1][0], 0)

    def _refresh(self, sender_id: str, kept: _Kept) -> _Kept | None:
        """`kept` brought up to date with the rows stored after it, or None when it cannot be."""
        with self.engine.connect() as connection:
            rows = connection.execute(self._rows_since, {"sender_id": sender_id, "since": kept.last_id}).all()
        read = 1 if kept.last_id else 0  # the last row read, found again (none for a new one)
        if not rows or (read and rows[0][0] != kept.last_id) or len(rows) < read + kept.own_rows:
            return None  # erased (or rows missing) since: start again from the database
        foreign = rows[read + kept.own_rows :]
        if any(type_name == SessionStarted.type_name for _, type_name, _ in foreign):
            return None  # a new session started elsewhere: Rasa reads only from its start
        assert kept.tracker is not None  # `_take` lends only kept trackers
        for event in self._deserialise(data for _, _, data in foreign):
            kept.tracker.update(event)
        kept.length = len(kept.tracker.events)
        kept.last_id = rows[-1][0]
        kept.own_rows = 0
        return kept

    def _take(self, sender_id: str) -> _Kept | None:
        """The kept tracker of the conversation, if it may be lent, removed from the cache."""
        kept = self._kept.pop(sender_id, None)
        if kept is None or kept.lent or kept.tracker is None or len(kept.tracker.events) != kept.length:
            return None
        return kept

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The tracker of the conversation's latest session, lent to the caller."""
        kept = self._take(sender_id)
        if kept is not None:
            kept = await asyncio.to_thread(self._refresh, sender_id, kept)
        if kept is None:
            kept = await asyncio.to_thread(self._load, sender_id, False)
            if kept is None:
                logger.debug("No stored events for sender id '%s'.", sender_id)
                if self._cache_size > 0 and self.max_event_history is None:
                    self._remember(sender_id, _Kept(None, 0, 0, 0, lent=True))
                return None
        if self._cacheable(kept.tracker):
            kept.lent = True
            self._remember(sender_id, kept)
        return kept.tracker

    async def create_tracker(self, sender_id: str, append_action_listen: bool = True) -> DialogueStateTracker:
        """Rasa's new tracker for the conversation. Right after `retrieve` found nothing stored
        for it (under the conversation's lock), it is saved as a lent tracker, without the COUNT,
        and stays lent to the caller, whose turn saves its own events without a COUNT either.
        (The first turn's session start then makes the second turn read the conversation back
        from the database, as for any new session.)"""
        found_empty = self._kept.get(sender_id)
        if found_empty is None or found_empty.tracker is not None or not found_empty.lent:
            return await super().create_tracker(sender_id, append_action_listen)
        tracker = self.init_tracker(sender_id)
        if append_action_listen:
            tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
        found_empty.tracker = tracker
        await self.save(tracker)
        kept = self._kept.get(sender_id)
        if kept is not None and kept.tracker is tracker:
            kept.lent = True  # still the caller's until its turn saves it
        return tracker

    async def retrieve_full_tracker(self, conversation_id: str) -> DialogueStateTracker | None:
        """Every session's events (the HTTP API's tracker endpoint); never cached."""
        kept = await asyncio.to_thread(self._load, conversation_id, True)
        return kept.tracker if kept else None

    async def exists(self, conversation_id: str) -> bool:
        """Whether anything is stored for the conversation, without reading its events."""

        def query() -> bool:
            with self.session_scope() as session:
                return (
                    session.query(self.SQLEvent.id).filter(self.SQLEvent.sender_id == conversation_id).first()
                    is not None
                )

        return await asyncio.to_thread(query)

    async def keys(self) -> Iterable[str]:
        """The ids of every stored conversation."""

        def query() -> list[str]:
            with self.session_scope() as session:
                return [sender for (sender,) in session.query(self.SQLEvent.sender_id).distinct().all()]

        return await asyncio.to_thread(query)

    # --- writing

    def _cacheable(self, tracker: DialogueStateTracker) -> bool:
        # A bounded event history drops events from the left: lengths no longer tell what is new.
        return self._cache_size > 0 and tracker.events.maxlen is None

    def _remember(self, sender_id: str, kept: _Kept) -> None:
        self._kept[sender_id] = kept
        self._kept.move_to_end(sender_id)
        while len(self._kept) > self._cache_size:
            self._kept.popitem(last=False)

    @staticmethod
    def _rows(sender_id: str, events: list[Event]) -> list[dict[str, Any]]:
        """The events table's rows for `events` (Rasa's columns)."""
        rows = []
        for event in events:
            data = event.as_dict()
            rows.append(
                {
                    "sender_id": sender_id,
                    "type_name": event.type_name,
                    "timestamp": data.get("timestamp"),
                    "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                    "action_name": data.get("name"),
                    "data": json.dumps(data),
                }
            )
        return rows

    def _insert(
        self,
        sender_id: str,
        events: list[Event],
        count_stored: bool,
        tracker: DialogueStateTracker,
    ) -> list[Event]:
        """Inserts the new events in one statement and commits; returns what was inserted.
        With `count_stored`, which events are new is Rasa's way: those past the stored count,
        counted and inserted in one session (on SQLite under the process's write lock, so no
        other save comes between)."""
        if count_stored:
            with self._one_writer, self.session_scope() as session:
                events = list(self._additional_events(session, tracker))
                if events:
                    session.execute(self._insert_rows, self._rows(sender_id, events))
                    session.commit()
        elif events:
            rows = self._rows(sender_id, events)
            with self._one_writer, self.engine.begin() as connection:
                connection.execute(self._insert_rows, rows)
        return events

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Stores the events appended to the tracker since it was lent (or, for any other
        tracker, those past the stored count), then keeps it for the conversation's next turn."""
        sender_id = tracker.sender_id
        kept = self._kept.pop(sender_id, None)
        if kept is not None and not (
            kept.lent and kept.tracker is tracker and len(tracker.events) >= kept.length
        ):
            kept = None  # not the tracker this store lent: Rasa's count decides what is new
        new_events = list(itertools.islice(tracker.events, kept.length, None)) if kept else []
        inserted = await asyncio.to_thread(self._insert, sender_id, new_events, kept is None, tracker)
        if self.event_broker:
            await self._stream_new_events(self.event_broker, inserted, sender_id)
        logger.debug("Tracker with sender_id '%s' stored to database", sender_id)
        if (
            kept is not None
            and self._cacheable(tracker)
            and not any(isinstance(event, SessionStarted) for event in inserted)
        ):
            kept.length = len(tracker.events)
            kept.own_rows += len(inserted)
            kept.lent = False
            self._remember(sender_id, kept)

"""Keeping the console's summaries up to date from Rasa's `events` table.

Only events past a watermark (the highest event id already read) are read, in
batches of ids, so the cost of a sync is the number of new events, never the
size of the store; a page view therefore never scans all events. Several
processes may sync at once (the server's loop and a `purge` command): the
watermark moves by compare-and-set inside the same transaction as the
summaries, so a batch is applied exactly once and a loser simply rolls back.

Strings read from the tracker are repaired (`bot.clean_text`): a lone surrogate in a message or
its metadata, which the SQL tracker keeps escaped inside JSON, once made every pass fail with
`UnicodeEncodeError` and the watermark never moved again. Should a batch still fail to apply,
its events are applied one at a time and any that cannot be stored is skipped: logged with its
id, counted under `skipped_events` in sync_state, and the watermark moves past it.

Known limit: on PostgreSQL, ids from concurrent transactions can become
visible out of order, and an event committed after a later id was read would
be skipped; with one Rasa writer (the default set-up) ids commit in order.
"""

import json
import logging
from collections import Counter
from collections.abc import Iterable

from sqlalchemy import and_, insert, select, update
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.exc import SQLAlchemyError

from bot.clean_text import clean_json, clean_text
from services.console.auth import TRY_PREFIX
from services.console.schema import conversation_intents, events, intent_days, summaries, sync_state
from services.console.summaries import Summary, TrackerEvent, day_of, fold, new_summary

logger = logging.getLogger(__name__)

WATERMARK = "events"
SKIPPED = "skipped_events"
BATCH = 2000
# Well below every database's limit on bound parameters in one statement.
CHUNK = 500
# Columns an agent changes; a sync never writes them back.
_AGENT_COLUMNS = {"conversation_id", "reviewed"}


class _Overtaken(Exception):
    """Another process moved the watermark first: this batch is theirs, roll back."""


def decode_data(raw: str) -> dict:
    """An event's JSON; a row Rasa never wrote (or a damaged one) reads as an empty event."""
    try:
        data = json.loads(raw or "{}")
    except (ValueError, RecursionError):
        return {}
    return clean_json(data) if isinstance(data, dict) else {}


EVENT_COLUMNS = (events.c.id, events.c.sender_id, events.c.type_name, events.c.timestamp, events.c.data)


def event_from_row(row: Row) -> TrackerEvent:
    """A row of `events` (selected as EVENT_COLUMNS) as the console works with it."""
    return TrackerEvent(
        row.id, clean_text(row.sender_id or ""), row.type_name, row.timestamp or 0.0, decode_data(row.data)
    )


def chunks(items: list[str]) -> Iterable[list[str]]:
    """`items` in slices small enough for an IN (...) list."""
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def watermark(connection: Connection, name: str = WATERMARK) -> int:
    """The highest event id already folded into the summaries (0 before the first sync);
    with `name`, another counter of sync_state (0 until first set)."""
    value = connection.execute(select(sync_state.c.value).where(sync_state.c.name == name)).scalar()
    if value is None:
        connection.execute(insert(sync_state).values(name=name, value=0))
        return 0
    return value


def _move(connection: Connection, start: int, to: int) -> None:
    """Moves the watermark from `start` to `to`, or raises `_Overtaken`."""
    moved = connection.execute(
        update(sync_state)
        .where(and_(sync_state.c.name == WATERMARK, sync_state.c.value == start))
        .values(value=to)
    )
    if moved.rowcount != 1:
        raise _Overtaken


def _read_batch(tracker: Engine, after: int) -> list[TrackerEvent]:
    query = select(*EVENT_COLUMNS).where(events.c.id > after).order_by(events.c.id).limit(BATCH)
    with tracker.connect() as connection:
        rows = connection.execute(query).all()
    return [event_from_row(row) for row in rows]


def message_language(event: TrackerEvent, conversation_language: str) -> str:
    """The language of one message: its own language entity when it has one (set by bot.nlu.language),
    else the conversation's."""
    for entity in (event.data.get("parse_data") or {}).get("entities") or []:
        if entity.get("entity") == "language" and entity.get("value"):
            return str(entity["value"])[:8]
    return conversation_language


def _apply(connection: Connection, batch: list[TrackerEvent], low_confidence: float) -> None:
    ids = sorted({event.conversation_id for event in batch})
    known: dict[str, Summary] = {}
    known_intents: set[tuple[str, str]] = set()
    for chunk in chunks(ids):
        for row in connection.execute(select(summaries).where(summaries.c.conversation_id.in_(chunk))):
            known[row.conversation_id] = dict(row._mapping)
        known_intents.update(
            (row.conversation_id, row.intent)
            for row in connection.execute(
                select(conversation_intents).where(conversation_intents.c.conversation_id.in_(chunk))
            )
        )
    existing = set(known)
    new_intents: set[tuple[str, str]] = set()
    day_counts: Counter = Counter()
    for event in batch:
        summary = known.get(event.conversation_id)
        if summary is None:
            summary = known[event.conversation_id] = new_summary(event)
        intent = fold(summary, event, low_confidence)
        if intent and not event.conversation_id.startswith(TRY_PREFIX):  # agents trying it are no customers
            key = (event.conversation_id, intent[:64])
            if key not in known_intents:
                new_intents.add(key)
            day_counts[
                (
                    day_of(event.timestamp),
                    intent[:64],
                    message_language(event, summary["language"]),
                    summary["channel"],
                )
            ] += 1

    inserts = [summary for cid, summary in known.items() if cid not in existing]
    if inserts:
        connection.execute(insert(summaries), inserts)
    for cid in existing:
        values = {k: v for k, v in known[cid].items() if k not in _AGENT_COLUMNS}
        connection.execute(update(summaries).where(summaries.c.conversation_id == cid).values(**values))
    if new_intents:
        connection.execute(
            insert(conversation_intents),
            [{"conversation_id": cid, "intent": intent} for cid, intent in new_intents],
        )
    _count_days(connection, day_counts)


def _count_days(connection: Connection, day_counts: Counter) -> None:
    for (day, intent, language, channel), count in day_counts.items():
        key = and_(
            intent_days.c.day == day,
            intent_days.c.intent == intent,
            intent_days.c.language == language,
            intent_days.c.channel == channel,
        )
        result = connection.execute(
            update(intent_days).where(key).values(messages=intent_days.c.messages + count)
        )
        if result.rowcount == 0:
            connection.execute(
                insert(intent_days).values(
                    day=day, intent=intent, language=language, channel=channel, messages=count
                )
            )


def sync(tracker: Engine, console: Engine, low_confidence: float) -> int:
    """Folds every event past the watermark into the summaries; returns how many were read."""
    total = 0
    while True:
        with console.begin() as connection:
            start = watermark(connection)
        batch = _read_batch(tracker, start)
        if not batch:
            return total
        try:
            with console.begin() as connection:
                _move(connection, start, batch[-1].id)
                _apply(connection, batch, low_confidence)
        except _Overtaken:
            continue
        except (SQLAlchemyError, ValueError):
            logger.warning(
                "A batch of %d events could not be stored; applying them one by one.",
                len(batch),
                exc_info=True,
            )
            try:
                _apply_one_by_one(console, start, batch, low_confidence)
            except _Overtaken:
                continue
        total += len(batch)
        if len(batch) < BATCH:
            return total


def _apply_one_by_one(console: Engine, start: int, batch: list[TrackerEvent], low_confidence: float) -> None:
    """Applies `batch` event by event; an event that cannot be stored is skipped and counted."""
    for event in batch:
        try:
            with console.begin() as connection:
                _move(connection, start, event.id)
                _apply(connection, [event], low_confidence)
        except (SQLAlchemyError, ValueError):
            logger.error(
                "Event %d of conversation %r could not be stored in the console; skipped.",
                event.id,
                event.conversation_id[:80],
                exc_info=True,
            )
            with console.begin() as connection:
                _move(connection, start, event.id)
                skipped = watermark(connection, SKIPPED)
                connection.execute(
                    update(sync_state).where(sync_state.c.name == SKIPPED).values(value=skipped + 1)
                )
        start = event.id

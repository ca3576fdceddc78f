"""The conversation list: filters, text search and pagination over the summaries.

Pages are cut by keyset (`last_event_id` below the previous page's last one),
not by OFFSET, so page 1,000 costs what page 1 costs; every filter column has
an index ending in `last_event_id`. Every value a person types reaches SQL as
a bound parameter, and the text search escapes LIKE's wildcards, so a search
for `%` or `'; DROP TABLE` finds exactly that text.
"""

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import distinct, exists, func, select
from sqlalchemy.engine import Engine

from bot.person_request import BY_EMAIL
from services.console.schema import conversation_intents, handoffs, summaries, tags
from services.console.summaries import HANDOFF_STATES, OUTCOMES

MAX_SEARCH_LENGTH = 200


def contains_pattern(text: str) -> str:
    """A LIKE pattern (escape character backslash) matching `text` anywhere, wildcards taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _day_start(value: str) -> float | None:
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        return None


@dataclass(frozen=True)
class Filters:
    """What the list is narrowed to; empty strings mean "any"."""

    channel: str = ""
    language: str = ""
    outcome: str = ""
    intent: str = ""
    handoff: str = ""
    low_confidence: str = ""
    reviewed: str = ""
    tag: str = ""
    since: str = ""
    until: str = ""
    q: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, Any]) -> "Filters":
        """Filters from a query string; values outside what each filter accepts are dropped."""

        def arg(name: str) -> str:
            value = args.get(name) or ""
            return (value[0] if isinstance(value, list) else str(value)).strip()

        values = {f.name: arg(f.name)[:MAX_SEARCH_LENGTH] for f in fields(cls)}
        if values["outcome"] not in OUTCOMES:
            values["outcome"] = ""
        if values["handoff"] not in HANDOFF_STATES:
            values["handoff"] = ""
        for flag in ("low_confidence", "reviewed"):
            if values[flag] not in ("yes", "no"):
                values[flag] = ""
        for day in ("since", "until"):
            if _day_start(values[day]) is None:
                values[day] = ""
        return cls(**values)

    def as_query(self) -> dict[str, str]:
        """The non-empty filters, for links that keep them (pagination)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}

    def conditions(self) -> list[Any]:
        """The WHERE conditions these filters mean."""
        s = summaries.c
        conditions: list[Any] = []
        for column in ("channel", "language", "outcome"):
            if getattr(self, column):
                conditions.append(s[column] == getattr(self, column))
        if self.handoff:
            conditions.append(s.handoff_state == self.handoff)
        if self.low_confidence:
            conditions.append(s.low_confidence == (self.low_confidence == "yes"))
        if self.reviewed:
            conditions.append(s.reviewed == (self.reviewed == "yes"))
        if self.intent:
            conditions.append(
                exists()
                .where(conversation_intents.c.conversation_id == s.conversation_id)
                .where(conversation_intents.c.intent == self.intent)
            )
        if self.tag:
            conditions.append(
                exists()
                .where(tags.c.conversation_id == s.conversation_id)
                .where(tags.c.tag == self.tag.lower())
            )
        if self.since:
            conditions.append(s.last_activity >= _day_start(self.since))
        until = _day_start(self.until) if self.until else None
        if until is not None:
            conditions.append(s.started_at < until + 86400)
        if self.q:
            conditions.append(s.search_text.like(contains_pattern(self.q.lower()), escape="\\"))
        return conditions


@dataclass(frozen=True)
class Page:
    """One page of the list and where the next one starts (None on the last page)."""

    rows: list[dict[str, Any]]
    next_before: int | None


_LIST_COLUMNS = [c for c in summaries.c if c.name != "search_text"]


def conversation_page(engine: Engine, filters: Filters, size: int, before: int | None = None) -> Page:
    """The newest conversations matching `filters`, `size` at a time, continuing below `before`."""
    query = select(*_LIST_COLUMNS).where(*filters.conditions())
    if before:
        query = query.where(summaries.c.last_event_id < before)
    query = query.order_by(summaries.c.last_event_id.desc()).limit(size + 1)
    with engine.connect() as connection:
        rows = [dict(row._mapping) for row in connection.execute(query)]
        page_ids = [row["conversation_id"] for row in rows[:size]]
        intents: dict[str, list[str]] = {cid: [] for cid in page_ids}
        for row in connection.execute(
            select(conversation_intents).where(conversation_intents.c.conversation_id.in_(page_ids))
        ):
            intents[row.conversation_id].append(row.intent)
    for row in rows[:size]:
        row["intents"] = sorted(intents[row["conversation_id"]])
    more = len(rows) > size
    return Page(rows[:size], rows[size - 1]["last_event_id"] if more else None)


def facets(engine: Engine) -> dict[str, list[str]]:
    """The values each list filter can take right now (for the filter menus)."""
    with engine.connect() as connection:

        def values(column: Any) -> list[str]:
            return sorted(v for v in connection.execute(select(distinct(column))).scalars() if v)

        return {
            "channel": values(summaries.c.channel),
            "language": values(summaries.c.language),
            "intent": values(conversation_intents.c.intent),
            "tag": values(tags.c.tag),
        }


def summary_of(engine: Engine, conversation_id: str) -> dict[str, Any] | None:
    """One conversation's summary with its intents, tags and current holder, or None."""
    with engine.connect() as connection:
        row = connection.execute(
            select(*_LIST_COLUMNS).where(summaries.c.conversation_id == conversation_id)
        ).first()
        if row is None:
            return None
        summary = dict(row._mapping)
        summary["intents"] = sorted(
            connection.execute(
                select(conversation_intents.c.intent).where(
                    conversation_intents.c.conversation_id == conversation_id
                )
            ).scalars()
        )
        summary["tags"] = sorted(
            connection.execute(select(tags.c.tag).where(tags.c.conversation_id == conversation_id)).scalars()
        )
        summary["agent"] = connection.execute(
            select(handoffs.c.agent).where(handoffs.c.conversation_id == conversation_id)
        ).scalar()
    return summary


QUEUE_VIEWS = ("all", "mine", "unassigned")
QUEUE_ORDERS = ("longest", "newest")
# States that need a person: waiting in the chat, held by an agent, or to be answered by email.
QUEUE_STATES = ("waiting", "taken", BY_EMAIL)
QUEUE_LIMIT = 100


def handoff_queue(
    engine: Engine, view: str = "all", agent: str = "", order: str = "longest", limit: int = QUEUE_LIMIT
) -> list[dict[str, Any]]:
    """Conversations that need a person: unassigned ones first (waiting longest first, or
    newest first), then those an agent holds, at most `limit` of them (the page re-reads the
    rows every few seconds: a thousand would cost that every time). `view` narrows to `mine`
    (held by `agent`) or `unassigned`. Every row has `waiting_since`: the hand-off, or the
    take-over once held."""
    held = handoffs.c.agent.isnot(None)
    query = (
        select(*_LIST_COLUMNS, handoffs.c.agent, handoffs.c.taken_at)
        .select_from(summaries.outerjoin(handoffs, handoffs.c.conversation_id == summaries.c.conversation_id))
        .where(summaries.c.handoff_state.in_(QUEUE_STATES) | held)
    )
    if view == "mine":
        query = query.where(handoffs.c.agent == agent)
    elif view == "unassigned":
        query = query.where(~held)
    since = func.coalesce(summaries.c.handoff_at, summaries.c.last_activity)
    query = query.order_by(held, since.desc() if order == "newest" else since).limit(limit)
    with engine.connect() as connection:
        rows = [dict(row._mapping) for row in connection.execute(query)]
    for row in rows:
        row["waiting_since"] = (
            row["taken_at"] if row["agent"] else (row["handoff_at"] or row["last_activity"])
        )
    return rows


def waiting_status(engine: Engine, limit: int) -> dict[str, Any]:
    """The conversations waiting for a person that nobody holds: how many, the newest `limit`
    ids (newest first) and when the newest was handed over (what the pages ring on)."""
    unheld = summaries.outerjoin(handoffs, handoffs.c.conversation_id == summaries.c.conversation_id)
    where = (summaries.c.handoff_state == "waiting", handoffs.c.agent.is_(None))
    with engine.connect() as connection:
        count, latest = connection.execute(
            select(func.count(), func.max(summaries.c.handoff_at)).select_from(unheld).where(*where)
        ).one()
        ids = list(
            connection.execute(
                select(summaries.c.conversation_id)
                .select_from(unheld)
                .where(*where)
                .order_by(summaries.c.handoff_at.desc())
                .limit(limit)
            ).scalars()
        )
    return {"waiting": count, "ids": ids, "latest": latest or 0}


def customer_conversations(
    engine: Engine, key: str | None, conversation_id: str, limit: int = 10
) -> list[dict[str, Any]]:
    """The same customer's other conversations (same address), newest first."""
    if not key:
        return []
    query = (
        select(summaries.c.conversation_id, summaries.c.channel, summaries.c.started_at, summaries.c.outcome)
        .where(summaries.c.customer_key == key, summaries.c.conversation_id != conversation_id)
        .order_by(summaries.c.started_at.desc())
        .limit(limit)
    )
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]

"""Retention and erasure: deleting whole conversations from every copy, and keeping a record.

Both remove a conversation from Rasa's tracker store (`events`) and from every
console table that holds anything about it (summary, intents, tags, notes,
intent corrections, the handoff holder), then record who did it, when, which
conversation ids and how many events, never the content. The dashboard's
per-day counts are anonymous and stay. The audit trail keeps naming the
conversation ids, which is its purpose.

- `purge`: conversations whose last activity is older than CONSOLE_RETENTION_DAYS.
- `erase`: the conversations a customer asks to have erased, by id, or found by
  an address or another exact string that occurs in them (`conversations_mentioning`).
  The account service keeps copies too (tickets, queued emails, idempotency keys,
  rate-limit records): `erase_in_account_service` asks it to delete those of the
  erased conversations and of the addresses they contained (a purge: of the
  conversations only, since an address may also belong to a newer conversation).
  The command line asks it before deleting anything here (`erasable`,
  `idle_conversations`), so that a failure there leaves a command to run again.
"""

import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, distinct, func, insert, select
from sqlalchemy.engine import Engine

from services.accounts.openapi import ERASURE_MAX_EMAILS, ERASURE_MAX_IDS
from services.accounts.rules import InvalidEmail, canonical_email
from services.console import audit
from services.console.queries import contains_pattern
from services.console.schema import (
    conversation_intents,
    corrections,
    erasures,
    events,
    handoffs,
    notes,
    summaries,
    tags,
)
from services.console.sync import chunks

if TYPE_CHECKING:
    from actions.account_api import AccountApiClient

_CONSOLE_TABLES = (summaries, conversation_intents, tags, notes, corrections, handoffs)
# An address anywhere in an event's JSON (bounded parts: linear on any text).
_ADDRESS = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}")


@dataclass(frozen=True)
class Erased:
    """What one purge or erasure removed, and the addresses the conversations contained."""

    conversation_ids: list[str]
    event_count: int
    addresses: list[str] = field(default_factory=list)


def _present(tracker: Engine, console: Engine, ids: list[str]) -> list[str]:
    """The ids among `ids` that anything is stored for."""
    found = set()
    for chunk in chunks(ids):
        with tracker.connect() as connection:
            found.update(
                connection.execute(
                    select(distinct(events.c.sender_id)).where(events.c.sender_id.in_(chunk))
                ).scalars()
            )
        with console.connect() as connection:
            for table in _CONSOLE_TABLES:
                found.update(
                    connection.execute(
                        select(distinct(table.c.conversation_id)).where(table.c.conversation_id.in_(chunk))
                    ).scalars()
                )
    return sorted(found)


def _valid_addresses(found: Iterable[str]) -> list[str]:
    """The canonical forms of the real addresses among `found` (what the account service keys by)."""
    valid = []
    for candidate in found:
        try:
            valid.append(canonical_email(candidate))
        except InvalidEmail:
            continue
    return valid


def addresses_in(tracker: Engine, ids: list[str]) -> list[str]:
    """The addresses the stored events of `ids` contain (canonical forms)."""
    addresses = set()
    for chunk in chunks(ids):
        with tracker.connect() as connection:
            for data in connection.execute(
                select(events.c.data).where(events.c.sender_id.in_(chunk))
            ).scalars():
                addresses.update(_valid_addresses(_ADDRESS.findall(data or "")))
    return sorted(addresses)


def erasable(tracker: Engine, console: Engine, conversation_ids: Iterable[str]) -> Erased:
    """What `erase` would remove (nothing deleted yet): the ids anything is stored for, and the
    addresses they contain. The command line asks the account service to erase its copies of
    these first, so that when it cannot, nothing is gone and the same command can run again."""
    ids = _present(tracker, console, sorted({cid for cid in conversation_ids if cid}))
    return Erased(ids, 0, addresses_in(tracker, ids))


def _remove(tracker: Engine, console: Engine, ids: list[str], actor: str, kind: str) -> Erased:
    """Deletes `ids` everywhere, then writes the erasure record."""
    removed_events = 0
    addresses = addresses_in(tracker, ids)
    for chunk in chunks(ids):
        with tracker.begin() as connection:
            removed_events += connection.execute(delete(events).where(events.c.sender_id.in_(chunk))).rowcount
        with console.begin() as connection:
            for table in _CONSOLE_TABLES:
                connection.execute(delete(table).where(table.c.conversation_id.in_(chunk)))
    with console.begin() as connection:
        connection.execute(
            insert(erasures).values(
                at=time.time(),
                actor=actor,
                kind=kind,
                conversation_ids=json.dumps(ids),
                event_count=removed_events,
            )
        )
    return Erased(ids, removed_events, addresses)


def erase(
    tracker: Engine,
    console: Engine,
    conversation_ids: Iterable[str],
    actor: str,
    reason: str = "erasure on request",
) -> Erased:
    """Erases the given conversations everywhere; ids with nothing stored are left out of the record.

    `actor` is the signed-in agent or the system account that ran the command; `reason` says on
    whose request.
    """
    ids = _present(tracker, console, sorted({cid for cid in conversation_ids if cid}))
    if not ids:
        return Erased([], 0)
    erased = _remove(tracker, console, ids, actor, "erasure")
    for cid in ids:
        audit.record(console, actor, "erase", cid, reason)
    return erased


async def erase_in_account_service(
    client: "AccountApiClient", console: Engine, erased: Erased, actor: str, action: str = "erase"
) -> dict[str, int]:
    """Asks the account service to delete its records of what `erased` removed; records the counts
    (never the addresses) in the audit trail under `action` (erase or purge). Raises
    AccountApiUnavailable when it cannot."""
    totals: dict[str, int] = {}
    ids, addresses = list(erased.conversation_ids), list(erased.addresses)
    while ids or addresses:
        batch_ids, ids = ids[:ERASURE_MAX_IDS], ids[ERASURE_MAX_IDS:]
        batch_addresses, addresses = addresses[:ERASURE_MAX_EMAILS], addresses[ERASURE_MAX_EMAILS:]
        for name, count in (await client.erase(batch_ids, batch_addresses)).items():
            totals[name] = totals.get(name, 0) + int(count)
    audit.record(
        console,
        actor,
        action,
        None,
        "account service: "
        + ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in sorted(totals.items())),
    )
    return totals


def idle_conversations(tracker: Engine, console: Engine, days: float) -> list[str]:
    """The conversations with no event in the last `days` days.

    The candidates come from the summaries (sync first); each is checked
    against the tracker store itself, so a conversation that came back to
    life since the last sync is kept.
    """
    cutoff = time.time() - days * 86400
    with console.connect() as connection:
        candidates = list(
            connection.execute(
                select(summaries.c.conversation_id).where(summaries.c.last_activity < cutoff)
            ).scalars()
        )
    stale: list[str] = []
    for chunk in chunks(candidates):
        with tracker.connect() as connection:
            stale.extend(
                connection.execute(
                    select(events.c.sender_id)
                    .where(events.c.sender_id.in_(chunk))
                    .group_by(events.c.sender_id)
                    .having(func.max(events.c.timestamp) < cutoff)
                ).scalars()
            )
    return sorted(stale)


def purge(tracker: Engine, console: Engine, days: float, actor: str) -> Erased:
    """Erases every conversation with no event in the last `days` days (`idle_conversations`)."""
    stale = idle_conversations(tracker, console, days)
    if not stale:
        return Erased([], 0)
    erased = _remove(tracker, console, sorted(stale), actor, "purge")
    audit.record(
        console,
        actor,
        "purge",
        None,
        f"{len(erased.conversation_ids)} conversations, {erased.event_count} events, "
        f"older than {days:g} days",
    )
    return erased


def records(engine: Engine, limit: int) -> list[dict[str, Any]]:
    """The latest erasure and purge records, newest first."""
    with engine.connect() as connection:
        return [
            dict(r._mapping)
            for r in connection.execute(select(erasures).order_by(erasures.c.id.desc()).limit(limit))
        ]


def conversations_mentioning(tracker: Engine, needle: str) -> list[str]:
    """Ids of conversations whose stored events contain `needle` (case-insensitive), e.g. an address.

    A full scan of the events, acceptable for a rare request and never done per page view.
    """
    needle = needle.strip().lower()
    if len(needle) < 5:
        raise ValueError("give at least 5 characters to search for, e.g. the customer's email address")
    with tracker.connect() as connection:
        return sorted(
            connection.execute(
                select(distinct(events.c.sender_id)).where(
                    func.lower(events.c.data).like(contains_pattern(needle), escape="\\")
                )
            ).scalars()
        )

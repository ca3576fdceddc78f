"""A conversation as agents read it: read from the tracker store and turned into chat items.

Each customer message comes with what the assistant understood (intent,
confidence, entities, and an agent's correction if there is one); each bot
reply says whether the assistant or an agent wrote it; actions, slot changes,
forms and pauses appear between them. Texts pass through `redact_stored` once more
on the way to the screen, in case an input path ever missed a secret (the markers already in
stored text are kept as they are, never redacted a second time).
Nothing here marks text as safe HTML: the templates escape everything.
"""

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.person_request import SLOT as PERSON_REQUEST_SLOT
from bot.person_request import WAITING
from services.console.schema import events
from services.console.summaries import (
    AGENT_KEY,
    EXTERNAL_PREFIX,
    FALLBACK_INTENT,
    TrackerEvent,
    redact_stored,
)
from services.console.sync import EVENT_COLUMNS, event_from_row

# Bookkeeping events with nothing for an agent to read.
_HIDDEN_ACTIONS = {"action_listen"}
_HIDDEN_TYPES = {"user_featurization", "action_execution_rejected"}
_HIDDEN_SLOTS = {"session_started_metadata", "requested_slot"}
MAX_VALUE_CHARACTERS = 200


@dataclass
class Item:
    """One line of the chat view."""

    kind: str  # customer, bot, agent, action, slot, form, session, restart, pause, resume, reminder
    event_id: int
    timestamp: float
    text: str = ""
    intent: str | None = None
    confidence: float | None = None
    low_confidence: bool = False
    corrected_intent: str | None = None
    entities: list[str] = field(default_factory=list)
    buttons: list[dict[str, str]] = field(default_factory=list)
    agent: str | None = None
    detail: str = ""
    # Written while the customer waited for a person or an agent held the conversation: not scored.
    held: bool = False


def read_events(tracker: Engine, conversation_id: str) -> list[TrackerEvent]:
    """Every stored event of one conversation, oldest first (one indexed lookup)."""
    query = select(*EVENT_COLUMNS).where(events.c.sender_id == conversation_id).order_by(events.c.id)
    with tracker.connect() as connection:
        return [event_from_row(row) for row in connection.execute(query)]


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = redact_stored(text)
    return text if len(text) <= MAX_VALUE_CHARACTERS else text[: MAX_VALUE_CHARACTERS - 1] + "…"


def _customer(event: TrackerEvent, low_confidence: float, corrections: dict[int, str], held: bool) -> Item:
    parse = event.data.get("parse_data") or {}
    intent = parse.get("intent") or {}
    confidence = intent.get("confidence")
    entities = [
        f"{entity.get('entity')}={_short(entity.get('value'))}"
        for entity in parse.get("entities") or []
        if entity.get("entity") != "language"
    ]
    return Item(
        kind="customer",
        event_id=event.id,
        timestamp=event.timestamp,
        text=redact_stored(event.data.get("text") or ""),
        intent=intent.get("name"),
        confidence=confidence if isinstance(confidence, (int, float)) else None,
        low_confidence=not held
        and (
            intent.get("name") == FALLBACK_INTENT
            or (isinstance(confidence, (int, float)) and confidence < low_confidence)
        ),
        held=held,
        corrected_intent=corrections.get(event.id),
        entities=entities,
        detail=str(
            (event.data.get("metadata") or {}).get("channel") or event.data.get("input_channel") or ""
        ),
    )


def _bot(event: TrackerEvent) -> Item:
    data = event.data
    agent = (data.get("metadata") or {}).get(AGENT_KEY)
    buttons = [
        {"title": str(b.get("title") or ""), "payload": str(b.get("payload") or "")}
        for b in ((data.get("data") or {}).get("buttons") or [])
        if isinstance(b, dict)
    ]
    return Item(
        kind="agent" if agent else "bot",
        event_id=event.id,
        timestamp=event.timestamp,
        text=data.get("text") or "",
        buttons=buttons,
        agent=agent,
        detail=str((data.get("metadata") or {}).get("utter_action") or ""),
    )


def to_items(stored: list[TrackerEvent], low_confidence: float, corrections: dict[int, str]) -> list[Item]:
    """The chat view of a conversation's events."""
    items: list[Item] = []
    paused = waiting = False
    for event in stored:
        data, kind = event.data, event.type_name
        if kind in _HIDDEN_TYPES:
            continue
        if kind == "pause" or kind == "resume":
            paused = kind == "pause"
        elif kind == "slot" and data.get("name") == PERSON_REQUEST_SLOT:
            waiting = data.get("value") == WAITING
        elif kind in ("session_started", "restart"):
            waiting = waiting and kind == "session_started"
        if kind == "user" and str(
            ((data.get("parse_data") or {}).get("intent") or {}).get("name") or ""
        ).startswith(EXTERNAL_PREFIX):
            items.append(Item("reminder", event.id, event.timestamp))
        elif kind == "user":
            items.append(_customer(event, low_confidence, corrections, paused or waiting))
        elif kind == "bot":
            items.append(_bot(event))
        elif kind == "action" and data.get("name") not in _HIDDEN_ACTIONS:
            policy = data.get("policy") or ""
            confidence = data.get("confidence")
            detail = (
                f"{policy} {confidence:.2f}" if isinstance(confidence, (int, float)) and policy else policy
            )
            items.append(
                Item("action", event.id, event.timestamp, text=data.get("name") or "", detail=detail)
            )
        elif kind == "slot" and data.get("name") not in _HIDDEN_SLOTS:
            items.append(
                Item(
                    "slot",
                    event.id,
                    event.timestamp,
                    text=str(data.get("name")),
                    detail=_short(data.get("value")),
                )
            )
        elif kind == "active_loop":
            items.append(Item("form", event.id, event.timestamp, text=data.get("name") or "closed"))
        elif kind in ("session_started", "restart", "pause", "resume"):
            items.append(Item("session" if kind == "session_started" else kind, event.id, event.timestamp))
    return items

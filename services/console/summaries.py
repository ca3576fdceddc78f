"""What a conversation amounts to, folded event by event.

The list page filters on channel, language, intents, outcome and a
low-confidence flag for up to 100,000 conversations, so these are computed
once, as events arrive, and stored per conversation (services.console.sync). Folding
must therefore work from the stored summary plus the new events alone, never
by re-reading a conversation. Pure functions: no I/O.

Outcomes, in order of precedence:
- `handed_off`: the assistant handed over to a person (action_handoff ran) or an agent took over.
- `fallback`: the customer's last message was not understood (nlu_fallback).
- `abandoned`: the customer left in the middle of a form (one is still active), or never wrote.
- `resolved`: the assistant answered everything and no person was needed.
"""

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

FALLBACK_INTENT = "nlu_fallback"
HANDOFF_ACTION = "action_handoff"
# Metadata key on bot events an agent wrote through the console (see services.console.handoff).
AGENT_KEY = "console_agent"
OUTCOMES = ("resolved", "handed_off", "abandoned", "fallback")
HANDOFF_STATES = ("waiting", "taken", "returned")
MAX_SEARCH_CHARACTERS = 20000

Summary = dict[str, Any]


@dataclass(frozen=True)
class TrackerEvent:
    """One row of Rasa's `events` table, its JSON decoded."""

    id: int
    conversation_id: str
    type_name: str
    timestamp: float
    data: dict[str, Any]


def day_of(timestamp: float) -> str:
    """The UTC day of a tracker timestamp, as the dashboard groups by."""
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d")


def new_summary(event: TrackerEvent) -> Summary:
    """The summary of a conversation whose first event is `event`, before folding it."""
    return {
        "conversation_id": event.conversation_id,
        "channel": "",
        "language": "",
        "started_at": event.timestamp,
        "last_activity": event.timestamp,
        "last_event_id": event.id,
        "user_messages": 0,
        "fallbacks": 0,
        "low_confidence": False,
        "outcome": "abandoned",
        "handoff_state": "",
        "agent_outcome": None,
        "active_loop": None,
        "last_intent": None,
        "reviewed": False,
        "search_text": "",
    }


def _append_search_text(summary: Summary, text: str | None) -> None:
    if not text:
        return
    room = MAX_SEARCH_CHARACTERS - len(summary["search_text"])
    if room > 1:
        summary["search_text"] += text.lower()[: room - 1] + "\n"


def _intent_of(data: dict[str, Any]) -> dict[str, Any]:
    return (data.get("parse_data") or {}).get("intent") or {}


def _fold_user(summary: Summary, data: dict[str, Any], low_confidence: float) -> str | None:
    intent = _intent_of(data)
    name = intent.get("name")
    confidence = intent.get("confidence")
    summary["user_messages"] += 1
    summary["last_intent"] = name
    if name == FALLBACK_INTENT:
        summary["fallbacks"] += 1
    if name == FALLBACK_INTENT or (isinstance(confidence, (int, float)) and confidence < low_confidence):
        summary["low_confidence"] = True
    channel = (data.get("metadata") or {}).get("channel") or data.get("input_channel")
    if channel and not summary["channel"]:
        summary["channel"] = str(channel)[:32]
    _append_search_text(summary, data.get("text"))
    return name


def _fold_slot(summary: Summary, data: dict[str, Any]) -> None:
    name, value = data.get("name"), data.get("value")
    if name == "language" and value:
        summary["language"] = str(value)[:8]
    elif name == "agent_outcome":
        summary["agent_outcome"] = None if value is None else str(value)[:64]
    elif name == "session_started_metadata" and isinstance(value, dict) and not summary["channel"]:
        summary["channel"] = str(value.get("channel") or "")[:32]


def outcome_of(summary: Summary) -> str:
    """The outcome the module docstring defines, from the folded state."""
    if summary["handoff_state"]:
        return "handed_off"
    if summary["last_intent"] == FALLBACK_INTENT:
        return "fallback"
    if summary["active_loop"] or not summary["user_messages"]:
        return "abandoned"
    return "resolved"


def fold(summary: Summary, event: TrackerEvent, low_confidence: float) -> str | None:
    """Applies `event` to `summary` in place; returns the intent of a customer message, else None."""
    data = event.data
    intent = None
    if event.type_name == "user":
        intent = _fold_user(summary, data, low_confidence)
    elif event.type_name == "slot":
        _fold_slot(summary, data)
    elif event.type_name == "action" and data.get("name") == HANDOFF_ACTION:
        if summary["handoff_state"] != "taken":
            summary["handoff_state"] = "waiting"
    elif event.type_name == "pause":
        summary["handoff_state"] = "taken"
    elif event.type_name == "resume":
        summary["handoff_state"] = "returned"
    elif event.type_name == "active_loop":
        summary["active_loop"] = data.get("name")
    elif event.type_name in ("session_started", "restart"):
        summary["active_loop"] = None
    elif event.type_name == "bot" and (data.get("metadata") or {}).get(AGENT_KEY):
        _append_search_text(summary, data.get("text"))
    summary["last_event_id"] = max(summary["last_event_id"], event.id)
    if event.timestamp:
        summary["last_activity"] = max(summary["last_activity"], event.timestamp)
        summary["started_at"] = min(summary["started_at"], event.timestamp)
    summary["outcome"] = outcome_of(summary)
    return intent

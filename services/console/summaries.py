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

Customer messages written while the customer waits for a person or an agent holds the
conversation are not scored: the assistant does not act on what NLU made of them
(bot.dialogue.holding, or Rasa paused), so they count neither as intents nor as fallbacks
nor towards low confidence. Reminders' external intents (`EXTERNAL_…`) are no customer
messages at all.

The customer's display name is what a platform itself said (the connectors put Messenger's,
X's and Telegram's names in the message metadata as `display_name` and `username`); the REST
channel's metadata is whatever its caller claims, so a REST message never names the customer.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from bot.person_request import AGENT_KEY, BY_EMAIL, WAITING, WITHDRAWN
from bot.person_request import SLOT as PERSON_REQUEST_SLOT
from bot.redaction import REDACTION_MARKER, redact_credentials

FALLBACK_INTENT = "nlu_fallback"
HANDOFF_ACTION = "action_handoff"
OUTCOMES = ("resolved", "handed_off", "abandoned", "fallback")
HANDOFF_STATES = ("waiting", "taken", "returned", WITHDRAWN, BY_EMAIL)
# Why the assistant handed over, from the last scored intent before action_handoff.
HANDOFF_REASONS = {"request_human": "asked", FALLBACK_INTENT: "not_understood"}
EXTERNAL_PREFIX = "EXTERNAL_"
PREVIEW_CHARACTERS = 140
# Channels whose connector, not the caller, writes the customer's name (connectors.turns).
NAMED_CHANNELS = ("messenger", "twitter", "telegram")
DISPLAY_NAME_CHARACTERS = 160
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
        "handoff_at": None,
        "handoff_reason": None,
        "person_request": None,
        "last_message": None,
        "last_message_at": None,
        "customer_email": None,
        "customer_key": None,
        "ticket": None,
        "locale": None,
        "display_name": None,
        "first_agent_reply_at": None,
        "first_agent": None,
        "satisfaction": None,
    }


def redact_stored(text: str) -> str:
    """`text` redacted around the markers it already carries.

    Stored text was redacted at the edge; running `redact_credentials` over it again, as the
    console does in case an input path missed a secret, read the marker's own words as a
    password ("[redacted: credential] credential]"). The parts between markers are checked
    again, the markers are kept as they are.
    """
    return REDACTION_MARKER.join(redact_credentials(part) for part in text.split(REDACTION_MARKER))


def mask_email(address: str) -> str:
    """An address as agents see it in lists: the first character and the domain."""
    local, _, domain = address.strip().partition("@")
    if not domain:
        return "***"
    return f"{local[:1]}***@{domain}"


def customer_key(address: str) -> str:
    """One customer's conversations found together without storing their address in clear."""
    return hashlib.sha256(address.strip().lower().encode("utf-8")).hexdigest()


def display_name(metadata: dict[str, Any]) -> str | None:
    """The name a platform gave with a message, with the handle: "Anna Petrova (@anna_p)";
    None for a REST message or when the metadata has no name of the right type."""
    if metadata.get("channel") not in NAMED_CHANNELS:
        return None
    name, username = metadata.get("display_name"), metadata.get("username")
    name = " ".join(name.split()) if isinstance(name, str) else ""
    handle = f"@{username.strip()}" if isinstance(username, str) and username.strip() else ""
    shown = f"{name} ({handle})" if name and handle else name or handle
    return shown[:DISPLAY_NAME_CHARACTERS] or None


def held_for_person(summary: Summary) -> bool:
    """Whether the customer waits for a person or an agent holds the conversation."""
    return summary["handoff_state"] == "taken" or summary["person_request"] == WAITING


def _append_search_text(summary: Summary, text: str | None) -> None:
    if not text:
        return
    room = MAX_SEARCH_CHARACTERS - len(summary["search_text"])
    if room > 1:
        summary["search_text"] += text.lower()[: room - 1] + "\n"


def _intent_of(data: dict[str, Any]) -> dict[str, Any]:
    return (data.get("parse_data") or {}).get("intent") or {}


def _fold_user(summary: Summary, data: dict[str, Any], timestamp: float, low_confidence: float) -> str | None:
    intent = _intent_of(data)
    name = intent.get("name")
    if name and str(name).startswith(EXTERNAL_PREFIX):
        return None
    confidence = intent.get("confidence")
    metadata = data.get("metadata") or {}
    text = data.get("text") or ""
    if text:
        summary["last_message"] = redact_stored(text)[:PREVIEW_CHARACTERS]
        summary["last_message_at"] = timestamp
    if metadata.get("locale") and not summary["locale"]:
        summary["locale"] = str(metadata["locale"])[:16]
    shown_name = display_name(metadata)
    if shown_name:  # the latest: a customer may rename themselves
        summary["display_name"] = shown_name
    if held_for_person(summary):
        _append_search_text(summary, text)
        return None
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
    elif name == PERSON_REQUEST_SLOT:
        summary["person_request"] = None if value is None else str(value)[:16]
        if value in (WITHDRAWN, BY_EMAIL) and summary["handoff_state"] == "waiting":
            summary["handoff_state"] = value
    elif name == "email" and isinstance(value, str) and value:
        summary["customer_email"] = mask_email(value)[:255]
        summary["customer_key"] = customer_key(value)
    elif name == "satisfaction":
        summary["satisfaction"] = int(str(value)) if str(value) in ("1", "2", "3", "4", "5") else None
    elif name == "ticket" and value:
        summary["ticket"] = str(value)[:32]
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
        intent = _fold_user(summary, data, event.timestamp, low_confidence)
    elif event.type_name == "slot":
        _fold_slot(summary, data)
    elif event.type_name == "action" and data.get("name") == HANDOFF_ACTION:
        if summary["handoff_state"] != "taken":
            summary["handoff_state"] = "waiting"
            summary["handoff_at"] = event.timestamp
            summary["handoff_reason"] = HANDOFF_REASONS.get(summary["last_intent"] or "", "other")
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
        metadata = data.get("metadata") or {}
        if not metadata.get("console_notice") and summary["first_agent_reply_at"] is None:
            summary["first_agent_reply_at"] = event.timestamp
            summary["first_agent"] = str(metadata[AGENT_KEY])[:64]
    summary["last_event_id"] = max(summary["last_event_id"], event.id)
    if event.timestamp:
        summary["last_activity"] = max(summary["last_activity"], event.timestamp)
        summary["started_at"] = min(summary["started_at"], event.timestamp)
    summary["outcome"] = outcome_of(summary)
    return intent

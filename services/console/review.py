"""Agents' review of conversations: reviewed mark, tags, notes, and intent corrections.

A correction is kept with the message's text and entities (redacted again), so
the NLU export works from the console's own table; erasing the conversation
removes its corrections with it (services.console.retention).
"""

import json
import re
import time
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine

from bot.redaction import redact_credentials
from ops.environment import ROOT
from services.console.schema import corrections, notes, summaries, tags
from services.console.summaries import TrackerEvent, redact_stored

TAG = re.compile(r"^[a-z0-9][a-z0-9 _-]{0,39}$")
MAX_TAGS = 10
MAX_NOTE_CHARACTERS = 2000


class ReviewError(ValueError):
    """A review action that cannot be done as asked; the message is shown to the agent."""


def domain_intents(domain: Path = ROOT / "domain.yml") -> list[str]:
    """The intents a message can be corrected to: the domain's, plus `nlu_fallback`."""
    with domain.open(encoding="utf-8") as handle:
        listed = yaml.safe_load(handle).get("intents") or []
    names = {next(iter(entry)) if isinstance(entry, dict) else str(entry) for entry in listed}
    return sorted(names | {"nlu_fallback"})


def set_reviewed(engine: Engine, conversation_id: str, reviewed: bool) -> None:
    """Marks the conversation reviewed, or not."""
    with engine.begin() as connection:
        connection.execute(
            update(summaries).where(summaries.c.conversation_id == conversation_id).values(reviewed=reviewed)
        )


def set_tags(engine: Engine, conversation_id: str, raw: str) -> list[str]:
    """Replaces the conversation's tags with the comma-separated ones in `raw`."""
    wanted = sorted({t.strip().lower() for t in raw.split(",") if t.strip()})
    bad = [t for t in wanted if not TAG.match(t)]
    if bad:
        raise ReviewError("a tag has 1-40 letters, digits, spaces, '_' or '-'")
    if len(wanted) > MAX_TAGS:
        raise ReviewError(f"at most {MAX_TAGS} tags")
    with engine.begin() as connection:
        connection.execute(delete(tags).where(tags.c.conversation_id == conversation_id))
        if wanted:
            connection.execute(insert(tags), [{"conversation_id": conversation_id, "tag": t} for t in wanted])
    return wanted


def add_note(engine: Engine, conversation_id: str, author: str, text: str) -> None:
    """Adds an agent's note to the conversation."""
    text = redact_credentials(text.strip())
    if not text:
        raise ReviewError("the note is empty")
    if len(text) > MAX_NOTE_CHARACTERS:
        raise ReviewError(f"a note has at most {MAX_NOTE_CHARACTERS} characters")
    with engine.begin() as connection:
        connection.execute(
            insert(notes).values(
                conversation_id=conversation_id, author=author, created_at=time.time(), text=text
            )
        )


def notes_of(engine: Engine, conversation_id: str) -> list[dict[str, Any]]:
    """The conversation's notes, oldest first."""
    with engine.connect() as connection:
        return [
            dict(r._mapping)
            for r in connection.execute(
                select(notes).where(notes.c.conversation_id == conversation_id).order_by(notes.c.id)
            )
        ]


def correct_intent(
    engine: Engine, message: TrackerEvent, intent: str, author: str, language: str, known_intents: list[str]
) -> None:
    """Records what a customer message really meant (replacing an earlier correction of it)."""
    if message.type_name != "user":
        raise ReviewError("only a customer message can be corrected")
    if intent not in known_intents:
        raise ReviewError("unknown intent")
    text = message.data.get("text") or ""
    if not text.strip() or text.startswith("/"):
        raise ReviewError("a button press has no text to learn from")
    parse = message.data.get("parse_data") or {}
    redacted = redact_stored(text)
    entities = (parse.get("entities") or []) if redacted == text else []  # offsets would not fit
    row = {
        "conversation_id": message.conversation_id,
        "text": redacted,
        "entities": json.dumps(entities),
        "language": language,
        "predicted_intent": (parse.get("intent") or {}).get("name"),
        "intent": intent,
        "author": author,
        "created_at": time.time(),
    }
    with engine.begin() as connection:
        connection.execute(delete(corrections).where(corrections.c.event_id == message.id))
        connection.execute(insert(corrections).values(event_id=message.id, **row))


def corrections_of(engine: Engine, conversation_id: str) -> dict[int, str]:
    """Corrected intent per event id of one conversation."""
    with engine.connect() as connection:
        return {
            r.event_id: r.intent
            for r in connection.execute(
                select(corrections.c.event_id, corrections.c.intent).where(
                    corrections.c.conversation_id == conversation_id
                )
            )
        }


def all_corrections(engine: Engine, language: str = "") -> list[dict[str, Any]]:
    """Every correction (optionally of one language), oldest first, entities decoded."""
    query = select(corrections).order_by(corrections.c.created_at)
    if language:
        query = query.where(corrections.c.language == language)
    with engine.connect() as connection:
        rows = [dict(r._mapping) for r in connection.execute(query)]
    for row in rows:
        row["entities"] = json.loads(row["entities"] or "[]")
    return rows

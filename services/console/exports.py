"""Turning conversations and agents' corrections into Rasa training and test data.

Rasa's own writers produce the YAML, so the files load with `rasa data
validate` and `rasa test` exactly like hand-written ones:
- a conversation becomes a test story (tests/stories/ format): each customer
  message with its text, intent (an agent's correction wins) and entities,
  then the actions, forms and slot changes that followed;
- corrections become NLU examples (data/nlu/ format), one block per intent.
Every text goes through `redact_stored` first (credentials redacted again, the markers already
there kept), as every export must.
"""

import copy
import csv
import io
from collections.abc import Iterable, Mapping

from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.core.training_data.story_writer.yaml_story_writer import YAMLStoryWriter
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sqlalchemy.engine import Engine

from services.console.auth import TRY_PREFIX
from services.console.queries import Filters, conversation_page
from services.console.summaries import TrackerEvent, redact_stored
from services.console.web.common import when

# Entities that components add (bot.nlu.language, bot.nlu.credential_cue); training data never annotates them.
COMPONENT_ENTITIES = {"language", "credential"}
# Events that only describe the channel or the featurization, not the dialogue.
_SKIPPED_TYPES = {"user_featurization"}
_SKIPPED_SLOTS = {"session_started_metadata"}


def _user_event(data: dict, corrected_intent: str = "") -> dict:
    """A user event ready for a story: text redacted, intent corrected."""
    data = copy.deepcopy(data)
    text = data.get("text") or ""
    redacted = redact_stored(text)
    parse = data.setdefault("parse_data", {})
    if redacted != text:
        data["text"] = parse["text"] = redacted
        parse["entities"] = []  # their offsets no longer fit the redacted text
    if corrected_intent:
        parse["intent"] = {"name": corrected_intent, "confidence": 1.0}
        parse["intent_ranking"] = [parse["intent"]]
    return data


def story_yaml(conversation_id: str, stored: Iterable[TrackerEvent], corrections: Mapping[int, str]) -> str:
    """The conversation as a Rasa test story in YAML."""
    rasa_events: list[Event] = []
    for event in stored:
        data = event.data
        if event.type_name in _SKIPPED_TYPES:
            continue
        if event.type_name == "slot" and data.get("name") in _SKIPPED_SLOTS:
            continue
        if event.type_name == "user":
            data = _user_event(data, corrections.get(event.id, ""))
        parsed = Event.from_parameters(data)
        if parsed is not None:
            rasa_events.append(parsed)
    story = DialogueStateTracker.from_events(conversation_id, rasa_events).as_story()
    for step in story.story_steps:
        step.block_name = f"conversation {conversation_id}"
    return YAMLStoryWriter().dumps(story.story_steps, is_test_story=True)


def nlu_yaml(corrections: Iterable[Mapping]) -> str:
    """Corrections as Rasa NLU YAML, one example per corrected message.

    `corrections` are rows with `text`, `intent` and optionally `entities`
    (the original message's entities, offsets into `text`).
    """
    messages = []
    for row in corrections:
        text = row["text"]
        redacted = redact_stored(text)
        entities = (
            []
            if redacted != text
            else [
                {k: e[k] for k in ("entity", "value", "start", "end")}
                for e in row.get("entities") or []
                if e.get("entity") not in COMPONENT_ENTITIES and {"start", "end"} <= set(e)
            ]
        )
        messages.append(Message(data={"text": redacted, "intent": row["intent"], "entities": entities}))
    return RasaYAMLWriter().dumps(TrainingData(training_examples=messages))


CSV_COLUMNS = (
    "conversation_id",
    "channel",
    "language",
    "started_at",
    "last_activity",
    "outcome",
    "handoff_state",
    "agent_outcome",
    "intents",
    "customer_email",
    "last_message",
)
CSV_PAGE = 500


def list_csv(engine: Engine, filters: Filters) -> str:
    """The conversations `filters` select, newest first, as CSV (UTC times, masked addresses,
    redacted previews); the "try it" page's own conversations are left out."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    before = None
    while True:
        page = conversation_page(engine, filters, CSV_PAGE, before)
        for row in page.rows:
            if row["conversation_id"].startswith(TRY_PREFIX):
                continue
            values = dict(
                row,
                intents=" ".join(row["intents"]),
                last_message=redact_stored(row["last_message"] or ""),
                started_at=when(row["started_at"]),
                last_activity=when(row["last_activity"]),
            )
            writer.writerow(["" if values[c] is None else values[c] for c in CSV_COLUMNS])
        if page.next_before is None:
            return out.getvalue()
        before = page.next_before

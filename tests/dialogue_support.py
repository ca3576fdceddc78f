"""A long conversation for the tests of bot.dialogue and bot.runtime.long_conversations."""

import copy
from pathlib import Path

from rasa.shared.core.constants import ACTION_LISTEN_NAME, REQUESTED_SLOT
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.training_data.story_reader.yaml_story_reader import (
    YAMLStoryReader,
)

ROOT = Path(__file__).resolve().parent.parent


def _listening(events: list[Event]) -> bool:
    last = events[-1]
    return isinstance(last, ActionExecuted) and last.action_name == ACTION_LISTEN_NAME


def long_conversation(domain: Domain) -> list[Event]:
    """Every story in one session, with messages taken back, actions undone and forms left."""
    paths = sorted((ROOT / "tests" / "stories").glob("*.yml")) + [ROOT / "data" / "stories.yml"]
    steps = [step for path in paths for step in YAMLStoryReader(domain).read_from_file(str(path))]
    events: list[Event] = [ActionExecuted(ACTION_LISTEN_NAME)]
    for number, step in enumerate(steps):
        for event in step.events:
            if isinstance(event, UserUttered) and not _listening(events):
                events.append(ActionExecuted(ACTION_LISTEN_NAME))
            events.append(copy.deepcopy(event))
        if number % 5 == 1:  # a message the assistant took back
            if not _listening(events):
                events.append(ActionExecuted(ACTION_LISTEN_NAME))
            events += [
                UserUttered("??", {"name": "nlu_fallback", "confidence": 0.2}),
                ActionExecuted("action_default_fallback"),
                UserUtteranceReverted(),
            ]
        if number % 7 == 3:  # an action undone
            events += [ActionExecuted("utter_rephrase"), ActionReverted()]
        if number % 4 == 2:  # the customer leaves a form midway
            events += [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None)]
    if not _listening(events):
        events.append(ActionExecuted(ACTION_LISTEN_NAME))
    return events

"""bot.dialogue.holding: what a held conversation does when the wait's reminder fires."""

import datetime

from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ReminderScheduled, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.dialogue.holding import WAIT_OVER, next_action
from bot.person_request import SLOT, WAIT_OVER_INTENT, WAITING, reminder_name

DOMAIN = Domain.from_dict({"slots": {SLOT: {"type": "text", "mappings": [{"type": "custom"}]}}})


def held(*events: object) -> DialogueStateTracker:
    due = datetime.datetime.now() + datetime.timedelta(minutes=10)
    start = [
        ActionExecuted(ACTION_LISTEN_NAME),
        UserUttered("a person please", intent={"name": "request_human"}),
        SlotSet(SLOT, WAITING),
        ReminderScheduled(WAIT_OVER_INTENT, due, name=reminder_name("c"), kill_on_user_message=False),
        ActionExecuted(ACTION_LISTEN_NAME),
    ]
    return DialogueStateTracker.from_events("c", [*start, *events], slots=DOMAIN.slots)


def fired() -> UserUttered:
    return UserUttered(None, intent={"name": WAIT_OVER_INTENT})


def test_the_reminder_tells_the_customer_nobody_is_free() -> None:
    assert next_action(held(fired())) == WAIT_OVER


def test_a_second_firing_of_the_same_wait_is_silent() -> None:
    """Restored after a restart in two workers, one wait's reminder can fire twice."""
    tracker = held(fired(), ActionExecuted(WAIT_OVER), ActionExecuted(ACTION_LISTEN_NAME), fired())
    assert next_action(tracker) == ACTION_LISTEN_NAME

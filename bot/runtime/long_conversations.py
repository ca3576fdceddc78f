"""Two per-turn costs of Rasa's processor that grew with the conversation, made per-event.

- `MessageProcessor._run_action` copies the tracker before every action
  (`DialogueStateTracker.copy`, which replays every event of the session into a new tracker);
  here the copy takes the events and the current state as they are: the state a replay of the
  same events reaches, without the replay.
- `DialogueStateTracker.applied_events` rescans every event at each call (the processor calls it
  at least once a turn); here it continues its fold over the new events (bot.dialogue.history).

`install` fails at start when this Rasa lacks what is replaced or used.
"""

import copy
from collections import deque
from typing import Any

from rasa.shared.constants import DEFAULT_SENDER_ID
from rasa.shared.core.trackers import DialogueStateTracker

from bot.dialogue import history
from bot.runtime.replace import replace_method

# The tracker's state besides its events and slots, as `DialogueStateTracker._reset` lists it.
_STATE = (
    "_paused",
    "followup_action",
    "latest_action",
    "latest_message",
    "latest_bot_utterance",
    "active_loop",
)
# What `init_copy` gives the copy (model and assistant ids left unset, as Rasa's copy leaves
# them), and the events and slots taken over.
_IDENTITY = {
    "_max_event_history",
    "events",
    "sender_id",
    "slots",
    "sender_source",
    "is_rule_tracker",
    "model_id",
    "assistant_id",
}


def copy_tracker(tracker: DialogueStateTracker) -> DialogueStateTracker:
    """`tracker.copy()`: a tracker with the same events and state, built without a replay.
    Like Rasa's copy it is a fresh tracker as `init_copy` makes it (no model or assistant id),
    whose slots are copied once, with their values (`init_copy` copies them, then resets them)."""
    duplicate = DialogueStateTracker(
        tracker.sender_id or DEFAULT_SENDER_ID,
        (),
        tracker._max_event_history,
        is_rule_tracker=tracker.is_rule_tracker,
    )
    duplicate.events = deque(tracker.events, tracker.events.maxlen)
    duplicate.slots = {name: copy.copy(slot) for name, slot in tracker.slots.items()}
    for name in _STATE:
        value = getattr(tracker, name)
        # The dictionaries are changed in place by later events (a loop's interruption):
        setattr(duplicate, name, dict(value) if isinstance(value, dict) else value)
    return duplicate


def _applied_events(self: DialogueStateTracker) -> Any:
    return history.applied_events(self)


_applied_events.__doc__ = DialogueStateTracker.applied_events.__doc__


def install() -> None:
    """Replaces the two methods; fails at start when this Rasa no longer has what they need."""
    history.check_rasa_api()
    attributes = set(vars(DialogueStateTracker("probe", [])))
    if attributes != _IDENTITY | set(_STATE):
        raise RuntimeError(
            f"DialogueStateTracker's attributes are now {sorted(attributes)}: the copy in "
            f"bot.runtime.long_conversations was written for Rasa 3.6 and must be revised."
        )
    replace_method(DialogueStateTracker, "copy", copy_tracker)
    replace_method(DialogueStateTracker, "applied_events", _applied_events)

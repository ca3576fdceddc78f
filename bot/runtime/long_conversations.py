"""Three per-turn costs of Rasa that grew with the conversation, made per-event.

- `MessageProcessor._run_action` copies the tracker before every action
  (`DialogueStateTracker.copy`, which replays every event of the session into a new tracker);
  here the copy takes the events and the current state as they are: the state a replay of the
  same events reaches, without the replay.
- `DialogueStateTracker.applied_events` rescans every event at each call (the processor calls it
  at least once a turn); here it continues its fold over the new events (bot.dialogue.history).
- A form builds a temporary tracker to validate slots and to ask for the next one
  (`FormAction._temporary_tracker`): every event since the last restart replayed into a new
  tracker, twice in most of a form's turns. Here, when the conversation has no restart, the
  tracker is copied as above and only the form's own events are applied to the copy: the same
  tracker, without the replay (at turn 160, 3 ms of a turn's CPU before).

`install` fails at start when this Rasa lacks what is replaced or used.
"""

from typing import Any

from rasa.core.actions.forms import FormAction
from rasa.shared.core.constants import REQUESTED_SLOT
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot.dialogue import history
from bot.dialogue.history import copy_tracker
from bot.runtime.replace import replace_method

_rasa_temporary_tracker = FormAction._temporary_tracker


def temporary_tracker(
    self: FormAction,
    current_tracker: DialogueStateTracker,
    additional_events: list[Event],
    domain: Domain,
) -> DialogueStateTracker:
    """`FormAction._temporary_tracker`: the events since the last restart, then the requested
    slot, the form's execution and `additional_events`, in a tracker of the domain's slots.
    Without a restart, an unbounded history and with the domain's slots, that is a copy of the
    current tracker with the form's events applied; otherwise Rasa's replay."""
    if (
        current_tracker.events.maxlen is not None
        or set(current_tracker.slots) != {slot.name for slot in domain.slots}
        or current_tracker.idx_after_latest_restart() != 0
    ):
        return _rasa_temporary_tracker(self, current_tracker, additional_events, domain)
    temporary = copy_tracker(current_tracker)
    temporary.update(SlotSet(REQUESTED_SLOT, self.get_slot_to_fill(current_tracker)), domain)
    temporary.update(ActionExecuted(self.name()), domain)
    for event in additional_events:
        temporary.update(event, domain)
    return temporary


def _applied_events(self: DialogueStateTracker) -> Any:
    return history.applied_events(self)


_applied_events.__doc__ = DialogueStateTracker.applied_events.__doc__


def install() -> None:
    """Replaces the three methods; fails at start when this Rasa no longer has what they need."""
    history.check_rasa_api()  # the methods used, and the tracker's attributes `copy_tracker` copies
    replace_method(DialogueStateTracker, "copy", copy_tracker)
    replace_method(DialogueStateTracker, "applied_events", _applied_events)
    replace_method(FormAction, "_temporary_tracker", temporary_tracker)

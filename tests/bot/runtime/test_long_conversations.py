"""bot.runtime.long_conversations: the processor's tracker copy, applied events and a form's
temporary tracker, per event instead of per session, are Rasa's own after every event of a long
conversation."""

from pathlib import Path

import pytest
from dialogue_support import long_conversation
from rasa.core.actions.forms import FormAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Restarted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

from bot.dialogue import history
from bot.runtime import long_conversations

ROOT = Path(__file__).resolve().parents[3]


def test_the_copy_is_rasa_s_replay_after_every_event() -> None:
    domain = Domain.load(str(ROOT / "domain.yml"))
    tracker = DialogueStateTracker("long", domain.slots)
    for event in long_conversation(domain):
        tracker.update(event)
        ours, rasa = (
            long_conversations.copy_tracker(tracker),
            tracker.travel_back_in_time(float("inf")),
        )
        assert list(ours.events) == list(rasa.events)
        assert ours.current_state(EventVerbosity.ALL) == rasa.current_state(EventVerbosity.ALL)
        assert {k: v for k, v in vars(ours).items() if k not in ("events", "slots")} == {
            k: v for k, v in vars(rasa).items() if k not in ("events", "slots")
        }
        assert {n: (s.value, s.has_been_set) for n, s in ours.slots.items()} == {
            n: (s.value, s.has_been_set) for n, s in rasa.slots.items()
        }
    # The copy is independent: a loop interrupted in it stays active in the original.
    copy = long_conversations.copy_tracker(tracker)
    copy.update(ActionExecuted("utter_rephrase"))
    assert len(copy.events) == len(tracker.events) + 1


def untimed(state: dict) -> dict:
    """A tracker's state without the events' timestamps."""
    events = [{k: v for k, v in e.items() if k != "timestamp"} for e in state["events"]]
    return {**state, "events": events, "latest_event_time": None}


def test_a_forms_temporary_tracker_is_rasa_s_replay_after_every_event() -> None:
    """At every event of the long conversation, the form's temporary tracker (its validation's
    candidates applied) is the tracker Rasa's replay builds; after a restart, Rasa's own."""
    domain = Domain.load(str(ROOT / "domain.yml"))
    form = FormAction("password_reset_form", None)
    candidates = [SlotSet("email", "anna@example.com"), SlotSet("email_confirmed", True)]
    tracker = DialogueStateTracker("long", domain.slots)
    compared = 0
    for event in [*long_conversation(domain), Restarted(), ActionExecuted("action_listen")]:
        tracker.update(event)
        ours = long_conversations.temporary_tracker(form, tracker, candidates, domain)
        rasa = long_conversations._rasa_temporary_tracker(form, tracker, candidates, domain)
        # The form's two events are made anew by each: their timestamps differ.
        assert untimed(ours.current_state(EventVerbosity.ALL)) == untimed(
            rasa.current_state(EventVerbosity.ALL)
        )
        assert {n: (s.value, s.has_been_set) for n, s in ours.slots.items()} == {
            n: (s.value, s.has_been_set) for n, s in rasa.slots.items()
        }
        compared += 1
    assert compared > 400


def test_install_replaces_the_three_methods(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(DialogueStateTracker, "copy", DialogueStateTracker.copy)
    monkeypatch.setattr(DialogueStateTracker, "applied_events", history._rasa_applied_events)
    monkeypatch.setattr(FormAction, "_temporary_tracker", FormAction._temporary_tracker)
    long_conversations.install()
    assert DialogueStateTracker.copy is long_conversations.copy_tracker
    assert DialogueStateTracker.applied_events is not history._rasa_applied_events
    assert FormAction._temporary_tracker is long_conversations.temporary_tracker


def test_a_changed_tracker_fails_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(DialogueStateTracker, "copy", DialogueStateTracker.copy)
    monkeypatch.setattr(DialogueStateTracker, "applied_events", history._rasa_applied_events)
    rasa_copy = DialogueStateTracker.copy
    monkeypatch.delattr(DialogueStateTracker, "copy")
    with pytest.raises(RuntimeError, match=r"DialogueStateTracker\.copy is gone"):
        long_conversations.install()
    monkeypatch.setattr(DialogueStateTracker, "copy", rasa_copy, raising=False)
    original = DialogueStateTracker._reset

    def reset_with_a_new_attribute(self: DialogueStateTracker) -> None:
        original(self)
        self.new_state = None

    monkeypatch.setattr(DialogueStateTracker, "_reset", reset_with_a_new_attribute)
    with pytest.raises(RuntimeError, match="attributes are now"):
        long_conversations.install()

"""bot.runtime.long_conversations: the processor's tracker copy and applied events, per event
instead of per session, are Rasa's own after every event of a long conversation."""

from pathlib import Path

import pytest
from dialogue_support import long_conversation
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted
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


def test_install_replaces_both_methods(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(DialogueStateTracker, "copy", DialogueStateTracker.copy)
    monkeypatch.setattr(DialogueStateTracker, "applied_events", history._rasa_applied_events)
    long_conversations.install()
    assert DialogueStateTracker.copy is long_conversations.copy_tracker
    assert DialogueStateTracker.applied_events is not history._rasa_applied_events


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

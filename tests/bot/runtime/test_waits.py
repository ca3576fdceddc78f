"""bot.runtime.waits: which waits for a person are scheduled again when Rasa starts.

The restore runs over a real SQL tracker store; the processor here only records what it is asked
to schedule (tests/e2e/conversations/test_holding.py restarts the real Rasa during a wait).
"""

import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ConversationPaused,
    ReminderCancelled,
    ReminderScheduled,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.person_request import SLOT, WAIT_OVER_INTENT, WAITING, reminder_name
from bot.runtime.tracker_store import SQLTrackerStore
from bot.runtime.waits import pending_wait, restore_waits

DOMAIN = Domain.from_dict({"slots": {SLOT: {"type": "text", "mappings": [{"type": "custom"}]}}})
DUE = datetime.datetime.now() + datetime.timedelta(minutes=10)


def reminder(sender: str, at: datetime.datetime = DUE) -> ReminderScheduled:
    return ReminderScheduled(WAIT_OVER_INTENT, at, name=reminder_name(sender), kill_on_user_message=False)


def conversation(sender: str, *after: Any, at: datetime.datetime = DUE) -> DialogueStateTracker:
    events = [UserUttered("a person please"), SlotSet(SLOT, WAITING), reminder(sender, at), *after]
    return DialogueStateTracker.from_events(sender, events, slots=DOMAIN.slots)


@pytest.mark.parametrize(
    "after, pending",
    [
        ((), True),
        ((UserUttered("hello?"),), True),  # the customer writing does not end the wait
        ((ReminderCancelled(name=reminder_name("c")),), False),  # taken over
        ((SlotSet(SLOT, "withdrawn"),), False),
        ((ConversationPaused(),), False),
        ((UserUttered(None, intent={"name": WAIT_OVER_INTENT}),), False),  # fired already
    ],
    ids=["waiting", "customer-wrote", "cancelled", "withdrawn", "paused", "fired"],
)
def test_only_a_wait_still_running_is_pending(after: tuple, pending: bool) -> None:
    found = pending_wait(conversation("c", *after))
    assert (found is not None) == pending
    if pending:
        assert found.name == reminder_name("c")


class RecordingProcessor:
    """Stands in for Rasa's processor's scheduling; the store it reads from is real."""

    def __init__(self, store: SQLTrackerStore) -> None:
        self.tracker_store = store
        self.scheduled: list[tuple[ReminderScheduled, str, Any]] = []

    async def _schedule_reminders(self, events: list, tracker: DialogueStateTracker, channel: Any) -> None:
        self.scheduled += [(event, tracker.sender_id, channel) for event in events]


async def test_the_restore_schedules_the_waiting_conversations_again(tmp_path: Path) -> None:
    store = SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    past = datetime.datetime.now() - datetime.timedelta(minutes=5)
    await store.save(conversation("waiting"))
    await store.save(conversation("overdue", at=past))  # due while Rasa was down
    await store.save(conversation("taken", ReminderCancelled(name=reminder_name("taken"))))
    await store.save(DialogueStateTracker.from_events("other", [UserUttered("hi")], slots=DOMAIN.slots))
    processor = RecordingProcessor(store)
    app = SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(processor=processor)))

    assert await restore_waits(app, []) == 2

    scheduled = {sender: (event, channel) for event, sender, channel in processor.scheduled}
    assert set(scheduled) == {"waiting", "overdue"}
    assert abs((scheduled["waiting"][0].trigger_date_time - DUE).total_seconds()) < 1
    late = scheduled["overdue"][0].trigger_date_time - datetime.datetime.now()
    assert datetime.timedelta(0) < late <= datetime.timedelta(seconds=1)
    assert isinstance(scheduled["waiting"][1], CollectingOutputChannel)  # no channel registered


async def test_nothing_older_than_the_window_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESTORE_WAITS_DAYS", "0")
    store = SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    await store.save(conversation("waiting"))
    processor = RecordingProcessor(store)
    app = SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(processor=processor)))
    assert await restore_waits(app, []) == 0

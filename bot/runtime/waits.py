"""Waits for a person that outlive a restart of the Rasa process.

A customer handed to the support team waits with a Rasa reminder set (actions.holding): if
nobody takes the conversation in time, it tells them so and offers the assistant again or an
answer by email. Rasa keeps reminders in its process's memory only, so a restart (a crash the
launcher recovered from, a deployment, a worker of `make run-scaled` replaced) used to lose them
and the customer went on waiting without a word.

When the server has started (and loaded its model), this module looks in the SQL tracker store
for the wait reminders of the last RESTORE_WAITS_DAYS [2] days and schedules again each one whose
conversation is still waiting for a person: not taken over (paused), not withdrawn, the reminder
neither cancelled nor fired. One that fell due while the process was down fires a second after
the start. With several workers each one restores them; the holding policy says "nobody is free
yet" once per wait, so a reminder that fires twice is heard once.

The hook is a listener added by wrapping `rasa.core.run.configure_app` (through `replace_method`,
so a Rasa without it fails at start); the scheduling is the processor's own
`_schedule_reminders`, checked at start the same way.
"""

import asyncio
import datetime
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import Field
from rasa.core import run as rasa_run
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, OutputChannel
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import ReminderCancelled, ReminderScheduled, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Sanic

from bot.person_request import SLOT, WAIT_OVER_INTENT, WAITING, reminder_name
from bot.runtime.replace import replace_method, require_method
from bot.settings import EnvironmentSettings

logger = logging.getLogger(__name__)
# A reminder due while the process was down fires this long after the start (APScheduler drops a
# job whose time is already more than a second past).
LATE_DELAY = datetime.timedelta(seconds=1)


class WaitSettings(EnvironmentSettings):
    """How far back the restore looks for waits (days)."""

    restore_days: float = Field(2.0, env="RESTORE_WAITS_DAYS", ge=0)


def pending_wait(tracker: DialogueStateTracker) -> ReminderScheduled | None:
    """The conversation's wait reminder if it should still fire, else None."""
    if tracker.get_slot(SLOT) != WAITING or tracker.is_paused():
        return None
    name = reminder_name(tracker.sender_id)
    for event in reversed(tracker.events):
        if isinstance(event, ReminderCancelled) and event.name in (name, None):
            # Rasa stores a ReminderCancelled without its name (the event has no `as_dict` of
            # its own); a nameless one cancels every reminder, as Rasa reads it too.
            return None
        if isinstance(event, UserUttered) and (event.intent or {}).get("name") == WAIT_OVER_INTENT:
            return None  # fired already
        if isinstance(event, ReminderScheduled) and event.name == name:
            return event
    return None


def _waiting_senders(tracker_store: Any, since: float) -> list[str]:
    """Conversations with a reminder scheduled since `since` (one query; run off the event loop)."""
    sql_event = tracker_store.SQLEvent
    with tracker_store.session_scope() as session:
        rows = (
            session.query(sql_event.sender_id)
            .filter(sql_event.type_name == ReminderScheduled.type_name, sql_event.timestamp >= since)
            .distinct()
            .all()
        )
    return [row[0] for row in rows]


def _output_channel(channels: Sequence[InputChannel], tracker: DialogueStateTracker) -> OutputChannel:
    """Where the conversation's latest message came from, as Rasa's `output_channel=latest` picks it."""
    latest = tracker.get_latest_input_channel()
    for channel in channels:
        if channel.name() == latest:
            output = channel.get_output_channel()
            if output is not None:
                return output
    return CollectingOutputChannel()


async def restore_waits(app: Sanic, channels: Sequence[InputChannel]) -> int:
    """Schedules again the reminders of the conversations still waiting; returns how many."""
    agent = getattr(app.ctx, "agent", None)
    processor = getattr(agent, "processor", None)
    if processor is None:
        return 0
    store = processor.tracker_store
    if not hasattr(store, "SQLEvent"):
        return 0  # an in-memory store forgot its conversations with the process anyway
    since = time.time() - WaitSettings.read().restore_days * 86400
    senders = await asyncio.to_thread(_waiting_senders, store, since)
    restored = 0
    for sender in senders:
        tracker = await store.retrieve(sender)
        reminder = pending_wait(tracker) if tracker else None
        if reminder is None:
            continue
        due = max(reminder.trigger_date_time, datetime.datetime.now() + LATE_DELAY)
        again = ReminderScheduled(
            reminder.intent,
            due,
            entities=reminder.entities,
            name=reminder.name,
            kill_on_user_message=reminder.kill_on_user_message,
        )
        await processor._schedule_reminders([again], tracker, _output_channel(channels, tracker))
        restored += 1
    if restored:
        logger.info("restored %d customers' waits for a person", restored)
    return restored


def with_restore(configure: Callable[..., Any]) -> Callable[..., Any]:
    """`rasa.core.run.configure_app` whose app restores the waits once the model is loaded."""

    def configure_restoring(*args: Any, **kwargs: Any) -> Any:
        app = configure(*args, **kwargs)
        channels = list(kwargs.get("input_channels") or (args[0] if args else None) or [])

        async def restore(running_app: Sanic, loop: Any) -> None:
            try:
                await restore_waits(running_app, channels)
            except Exception:  # the server serves on; only the reminders stay lost
                logger.exception("restoring the waits for a person failed")

        app.register_listener(restore, "after_server_start")
        return app

    configure_restoring._restores_waits = True  # type: ignore[attr-defined]
    return configure_restoring


def install() -> None:
    """Wraps Rasa's app factory (once per process)."""
    require_method(MessageProcessor, "_schedule_reminders")
    if getattr(rasa_run.configure_app, "_restores_waits", False):
        return
    replace_method(rasa_run, "configure_app", with_restore(rasa_run.configure_app))

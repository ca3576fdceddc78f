"""An honest answer when the action server cannot be reached, instead of a wrong one.

When a custom action's call fails (connection refused while the action server restarts, a 5xx,
a timeout), Rasa logs it, drops the action's events and goes on predicting as if nothing had
happened. A customer in the reset form who answered "yes" then got "Sorry, I didn't quite get
that" or the form's question again, with HTTP 200, for as long as the action server was away.

Here such a failure ends the turn with the truth: the form is left (nothing half-done is kept
active), the customer is told that nothing was sent and offered a person
(`utter_service_unavailable`), or, when it was the hand-over itself that failed, where to write
instead (`utter_ticket_failed`), and the assistant listens again. A form's own rejection of a
message (`ActionExecutionRejection`, HTTP 400 from the action server) is not an outage and keeps
Rasa's behaviour.

Two of Rasa's methods are wrapped, not rewritten: `RemoteAction.run` notes the failure in a
context variable of the turn's task, and `MessageProcessor._run_action` answers it after Rasa's
own handling. `install` fails at start if either method is missing.
"""

import logging
from contextvars import ContextVar
from typing import Any, Awaitable, Callable, List, Optional

from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.processor import MessageProcessor
from rasa.shared.core.constants import ACTION_LISTEN_NAME, REQUESTED_SLOT
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, Event, SlotSet
from rasa.shared.exceptions import RasaException

logger = logging.getLogger(__name__)

UNAVAILABLE_RESPONSE = "utter_service_unavailable"
HANDOFF_FAILED_RESPONSE = "utter_ticket_failed"
HANDOFF_ACTION = "action_handoff"

# The name of the custom action whose call failed during this turn's current action, if any.
_failed_action: ContextVar[Optional[str]] = ContextVar("failed_remote_action", default=None)


def _noting_failures(run: Callable[..., Awaitable[List[Event]]]) -> Callable[..., Awaitable[List[Event]]]:
    async def run_noting_failures(self: RemoteAction, *args: Any, **kwargs: Any) -> List[Event]:
        try:
            return await run(self, *args, **kwargs)
        except ActionExecutionRejection:
            raise
        except RasaException:
            _failed_action.set(self.name())
            raise

    return run_noting_failures


def _answering_outages(run_action: Callable[..., Awaitable[bool]]) -> Callable[..., Awaitable[bool]]:
    async def run_action_answering_outages(
        self: MessageProcessor, action: Any, tracker: Any, output_channel: Any, nlg: Any,
        prediction: Any,
    ) -> bool:
        _failed_action.set(None)
        keep_predicting = await run_action(self, action, tracker, output_channel, nlg, prediction)
        failed = _failed_action.get()
        if failed is None:
            return keep_predicting
        _failed_action.set(None)
        logger.error("The action server could not run %s: the customer is told, the turn ends.",
                     failed)
        response = HANDOFF_FAILED_RESPONSE if failed == HANDOFF_ACTION else UNAVAILABLE_RESPONSE
        events: List[Event] = []
        message = await nlg.generate(response, tracker, output_channel.name())
        if message:
            events.append(BotUttered(message.get("text"), data={
                key: value for key, value in message.items() if key != "text"
            }, metadata={"utter_action": response}))
        if tracker.active_loop_name:
            events += [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None)]
        events.append(ActionExecuted(ACTION_LISTEN_NAME))
        tracker.update_with_events(events, self.domain)
        await self.execute_side_effects(events, tracker, output_channel)
        return False

    return run_action_answering_outages


def install() -> None:
    """Wraps the two methods; fails at start when this Rasa no longer has them."""
    for owner, name in ((RemoteAction, "run"), (MessageProcessor, "_run_action")):
        if not callable(getattr(owner, name, None)):
            raise RuntimeError(
                f"{owner.__name__}.{name} is missing: bot.runtime.action_outage was written for "
                f"Rasa 3.6 and must be revised for this version."
            )
    if not getattr(RemoteAction.run, "_wrapped_by_outage", False):
        RemoteAction.run = _noting_failures(RemoteAction.run)  # type: ignore[method-assign]
        RemoteAction.run._wrapped_by_outage = True  # type: ignore[attr-defined]
        MessageProcessor._run_action = _answering_outages(  # type: ignore[method-assign]
            MessageProcessor._run_action)

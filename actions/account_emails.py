"""Asking the account API for a password-reset or device-confirmation email, and what follows.

Both flows end the same way, and must: the API answers alike whether or not
the address has an account, and so do we (no account enumeration). The
action only reports what happened in the `request_result` slot; the rules in
data/rules.yml choose the words, so the whole dialogue stays visible there.

After an email is sent the assistant asks whether it arrived. The first
"still nothing" gets the article's checks for that email (spam, contacts, the
right sender); the second hands the conversation to support with its summary
rather than sending the same email again.
"""

import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.account_api import (
    AccountApiClient,
    AccountApiUnavailable,
    InvalidEmail,
    RateLimited,
    conversation_digest,
    mask_email,
)

logger = logging.getLogger(__name__)


def idempotency_key(tracker: Tracker, purpose: str) -> str:
    """One key per customer request: a retried call sends nothing twice, a new request does.

    It begins with the conversation's digest, so that erasing the conversation erases its keys.
    """
    message_id = tracker.latest_message.get("message_id") or len(tracker.events)
    return f"{conversation_digest(tracker.sender_id)}:{purpose}:{message_id}"


async def request_email(
    tracker: Tracker,
    purpose: str,
    kind: str,
    call: Callable[[AccountApiClient, str, str], Awaitable[None]],
) -> list[EventType]:
    """Calls the API and turns its answer into slot events for the rules."""
    email = tracker.get_slot("email")
    result: dict[str, Any] = {"request_result": "sent", "retry_minutes": None}
    try:
        await call(
            AccountApiClient(conversation_id=tracker.sender_id), email, idempotency_key(tracker, purpose)
        )
    except RateLimited as limited:
        result = {
            "request_result": "rate_limited",
            "retry_minutes": str(max(1, math.ceil(limited.retry_after / 60))),
        }
    except (AccountApiUnavailable, InvalidEmail) as failure:
        logger.warning("%s for %s failed: %s", purpose, mask_email(email or ""), failure)
        result = {"request_result": "unavailable", "retry_minutes": None}
    if result["request_result"] == "sent":
        result.update({"sent_kind": kind, "nudges": 0.0})
    # The address stays for a retry or a person; the confirmation is asked again next time.
    return [SlotSet(name, value) for name, value in result.items()] + [SlotSet("email_confirmed", None)]


class ActionSendPasswordReset(Action):
    """Triggers the password-reset email once the customer confirmed the address."""

    def name(self) -> str:
        return "action_send_password_reset"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return await request_email(
            tracker,
            "password_reset",
            "reset",
            lambda client, email, key: client.request_password_reset(email, key),
        )


class ActionSendDeviceConfirmation(Action):
    """Triggers a new device/browser confirmation email once the address is confirmed."""

    def name(self) -> str:
        return "action_send_device_confirmation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return await request_email(
            tracker,
            "device_confirmation",
            "device",
            lambda client, email, key: client.request_device_confirmation(email, key),
        )


# How many "still nothing" get the article's checks before a person takes over.
CHECKS_BEFORE_PERSON = 1


class ActionStillNothing(Action):
    """Decides the answer to "still nothing": the checks once, then a person, never a loop."""

    def name(self) -> str:
        return "action_still_nothing"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        kind = tracker.get_slot("sent_kind")
        if kind is None:
            return [SlotSet("followup", "unknown")]
        nudges = int(tracker.get_slot("nudges") or 0)
        followup = f"checks_{kind}" if nudges < CHECKS_BEFORE_PERSON else "handoff"
        return [SlotSet("followup", followup), SlotSet("nudges", float(nudges + 1))]

"""Support tickets: the license transfer after a lost mailbox, and hand-offs to a person.

A ticket carries what an agent needs to pick the conversation up without
asking the customer to repeat themselves: the conversation id and channel,
the language, and a summary of what the customer said (credentials were
redacted before the text ever reached the tracker, and are redacted again
here in case an input path missed one). A license transfer names both
addresses: the old one, where support finds the licenses, and the new
account's, where they go after verification.
"""

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.account_api import AccountApiClient, AccountApiError
from actions.account_emails import idempotency_key
from actions.forms import leave_form
from actions.holding import hold_for_person
from bot.languages import DEFAULT_LANGUAGE
from bot.redaction import redact_credentials

logger = logging.getLogger(__name__)
SUMMARY_MESSAGES = 8
SUMMARY_CHARACTERS = 1500


def conversation_summary(tracker: Tracker) -> str:
    """The customer's latest messages with what the assistant understood of each."""
    lines = []
    for event in tracker.events:
        if event.get("event") != "user":
            continue
        text = (event.get("text") or "").strip()
        intent = (event.get("parse_data") or {}).get("intent", {}).get("name")
        if text:
            lines.append(f"- [{intent}] {redact_credentials(text)}")
    summary = "\n".join(lines[-SUMMARY_MESSAGES:])
    return summary[-SUMMARY_CHARACTERS:] or "(no customer message)"


def channel_of(tracker: Tracker) -> str:
    """The channel the customer wrote from, as the connectors name it."""
    metadata = tracker.latest_message.get("metadata") or {}
    return metadata.get("channel") or tracker.get_latest_input_channel() or "rest"


async def open_ticket(tracker: Tracker, topic: str, email: str | None, details: str = "") -> list[EventType]:
    """Opens the ticket (`details` heading its summary) and reports the outcome in slots."""
    summary = conversation_summary(tracker)
    if details:
        summary = f"{details}\n{summary}"[:SUMMARY_CHARACTERS]
    try:
        ticket = await AccountApiClient().open_support_ticket(
            topic=topic,
            channel=channel_of(tracker),
            conversation_id=tracker.sender_id,
            language=tracker.get_slot("language") or DEFAULT_LANGUAGE,
            summary=summary,
            email=email,
            idempotency_key=idempotency_key(tracker, topic),
        )
    except AccountApiError as failure:
        logger.warning("opening a %s ticket failed: %s", topic, failure)
        return [SlotSet("request_result", "ticket_failed"), SlotSet("ticket", None)]
    return [SlotSet("request_result", "ticket_opened"), SlotSet("ticket", f"#{ticket}")]


class ActionOpenLicenseTransfer(Action):
    """Opens the license-transfer ticket; support verifies the licenses are the customer's."""

    def name(self) -> str:
        return "action_open_license_transfer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        old, new = tracker.get_slot("old_email"), tracker.get_slot("email")
        details = (
            f"License transfer: licenses registered to {old} (old address, no longer "
            f"accessible) to the new account {new}, after verification."
        )
        events = await open_ticket(tracker, "license_transfer", new, details)
        return events + [SlotSet("email_confirmed", None)]


class ActionHandoff(Action):
    """Hands the conversation to support: a ticket in the agents' queue, any form closed."""

    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        opened = await open_ticket(tracker, "human_request", tracker.get_slot("email"))
        # Issue 14: once the ticket is open, the customer is held for a person (actions/holding.py).
        held = hold_for_person(tracker) if SlotSet("request_result", "ticket_opened") in opened else []
        return leave_form(tracker) + opened + held

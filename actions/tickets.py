"""Support tickets: the license transfer after a lost mailbox, hand-offs to a person (opened by
actions/holding.py), and a waiting customer's choice of an answer by email.

A ticket carries what an agent needs to pick the conversation up without
asking the customer to repeat themselves: the conversation id and channel,
the language, and a summary of what the customer said (credentials were
redacted before the text ever reached the tracker, and are redacted again
here in case an input path missed one). A license transfer names both
addresses: the old one, where support finds the licenses, and the new
account's, where they go after verification. A customer who chose the
answer by email has it recorded on the ticket with the address they gave
(`record_answer_by_email`): the support team's ticket system, not only the
console's queue, knows where to answer.
"""

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.account_api import AccountApiClient, AccountApiError, InvalidEmail, NotFound, mask_email
from actions.account_emails import idempotency_key
from bot.languages import DEFAULT_LANGUAGE
from bot.redaction import redact_credentials

logger = logging.getLogger(__name__)
SUMMARY_MESSAGES = 8
SUMMARY_CHARACTERS = 1500
HANDOFF_TOPIC = "human_request"
ANSWER_BY_EMAIL_NOTE = "The customer asked to be answered by email instead of in the chat."


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


async def record_answer_by_email(tracker: Tracker, email: str | None) -> str | None:
    """Records on the conversation's ticket that the customer wants the answer by email, at
    `email` when they gave one; opens the ticket first when the conversation has none (with the
    conversation's summary, as a hand-off does). Returns the ticket as the `ticket` slot names
    it ("#ID"), or None when there was no ticket and none could be opened.

    When only the recording fails, the ticket stays and the choice still shows in the agents'
    queue (the `person_request` slot): that failure is logged, not the customer's problem.
    Accounts are never looked at.
    """
    client = AccountApiClient()
    ticket = str(tracker.get_slot("ticket") or "").lstrip("#")
    if ticket:
        try:
            await _record(client, ticket, email, tracker)
            return f"#{ticket}"
        except NotFound:  # erased meanwhile, or another system's: a new ticket takes the choice
            logger.info("ticket %s is unknown to the account API; opening another", ticket)
        except AccountApiError as failure:
            logger.warning("recording the answer by email on ticket %s failed: %s", ticket, failure)
            return f"#{ticket}"
    opened = await open_ticket(tracker, HANDOFF_TOPIC, email, ANSWER_BY_EMAIL_NOTE)
    label = next((event["value"] for event in opened if event.get("name") == "ticket"), None)
    if not label:
        return None
    try:
        await _record(client, str(label).lstrip("#"), email, tracker)
    except AccountApiError as failure:
        logger.warning("recording the answer by email on new ticket %s failed: %s", label, failure)
    return str(label)


async def _record(client: AccountApiClient, ticket: str, email: str | None, tracker: Tracker) -> None:
    """The API call; an address the service refuses is left out (the agent reads it in the chat)."""
    key = idempotency_key(tracker, f"answer_by_email:{ticket}")
    try:
        await client.record_answer_by_email(ticket, email, key)
    except InvalidEmail:
        logger.warning("the account API refused %s as the answer's address", mask_email(email or ""))
        await client.record_answer_by_email(ticket, None, f"{key}:without_address")

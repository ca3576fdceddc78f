"""Handing a customer to a person, holding them until one answers, and ending the wait at their
request.

The wait starts when action_handoff has opened the ticket (`hold_for_person`): the
`person_request` slot says `waiting` (bot.dialogue.holding then acknowledges every message
instead of answering it) and a reminder is set for PERSON_WAIT_SECONDS [600] later. If no agent
has taken the conversation by then (the console pauses the assistant and cancels the reminder),
the reminder tells the customer and offers the assistant again or an answer by email. Rasa keeps
reminders in memory: bot.runtime.waits schedules them again when a Rasa process starts. A
customer who chooses the answer by email has it recorded on the ticket with their address
(actions.tickets.record_answer_by_email), so that the support team's ticket system knows it, not
only the console's queue.
"""

import datetime
from typing import Any

from pydantic import Field
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, ReminderCancelled, ReminderScheduled, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.forms import leave_form
from actions.tickets import HANDOFF_TOPIC, open_ticket, record_answer_by_email
from bot.person_request import (
    BY_EMAIL,
    CHOICE_ENTITY,
    CHOOSE_EMAIL,
    SLOT,
    WAIT_OVER_INTENT,
    WAITING,
    WITHDRAWN,
    reminder_name,
)
from bot.settings import EnvironmentSettings


class HoldingSettings(EnvironmentSettings):
    """The action server's setting for the wait (bot.settings reads and checks it)."""

    wait_seconds: float = Field(600.0, env="PERSON_WAIT_SECONDS", gt=0)


# Read when the action server loads the actions, so that a malformed PERSON_WAIT_SECONDS stops it
# at start (naming the variable) instead of failing the hand-off of every customer.
SETTINGS = HoldingSettings.read()


def hold_for_person(tracker: Tracker) -> list[EventType]:
    """The events that start the wait for a person: the slot and the wait-over reminder."""
    at = datetime.datetime.now() + datetime.timedelta(seconds=SETTINGS.wait_seconds)
    return [
        SlotSet(SLOT, WAITING),
        ReminderScheduled(
            WAIT_OVER_INTENT, at, name=reminder_name(tracker.sender_id), kill_on_user_message=False
        ),
    ]


def _latest_entity(tracker: Tracker, name: str) -> str | None:
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == name and entity.get("value"):
            return str(entity["value"])
    return None


class ActionHandoff(Action):
    """Hands the conversation to support: a ticket in the agents' queue, any form closed."""

    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        opened = await open_ticket(tracker, HANDOFF_TOPIC, tracker.get_slot("email"))
        # Issue 14: once the ticket is open, the customer is held for a person.
        held = hold_for_person(tracker) if SlotSet("request_result", "ticket_opened") in opened else []
        return leave_form(tracker) + opened + held


class ActionStopWaiting(Action):
    """Ends the wait at the customer's request: back to the assistant, or an answer by email
    (recorded on the ticket, which is opened first if the conversation has none)."""

    def name(self) -> str:
        return "action_stop_waiting"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        events: list[EventType] = [ReminderCancelled(name=reminder_name(tracker.sender_id))]
        address = _latest_entity(tracker, "email")
        if address and (_latest_entity(tracker, CHOICE_ENTITY) in (CHOOSE_EMAIL, None)):
            ticket = await record_answer_by_email(tracker, address)
            if ticket is None:  # no ticket, and none could be opened: nobody would answer
                dispatcher.utter_message(response="utter_ticket_failed")
                return events + [SlotSet(SLOT, None)]
            dispatcher.utter_message(response="utter_answer_by_email", email=address, ticket=ticket)
            return events + [SlotSet("ticket", ticket), SlotSet("email", address), SlotSet(SLOT, BY_EMAIL)]
        dispatcher.utter_message(response="utter_assistant_back")
        return events + [SlotSet(SLOT, WITHDRAWN)]

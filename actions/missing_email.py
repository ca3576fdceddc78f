"""Which email is missing: the password reset, or the device confirmation?

"I don't get any email from you" could be either, and the article answers
the two differently (different senders). The classifier files such generic
complaints under `reset_email_not_received`, the more common case; this
action looks at what the customer wrote and sets `email_kind` to `reset`
when the message is about the password, or `unclear`, for which the rules
ask "which email?". A tap on one of that question's buttons carries the
kind itself. Once a reset link was sent in this conversation, a typed
"the reset email doesn't come" is a follow-up (`followup`): it is answered
like "still nothing" (the checks once, then a person), not with a resend loop.
"""

import re

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

# Stems that say the email is about the password, in English, Russian and French.
RESET_CUES = re.compile(
    r"pass\s*word|passwd|pwd|\bpass\b|reset|recover|restor|forgot|"
    r"парол|сброс|восстанов|забыл|"
    r"mot\s*de\s*passe|\bmdp\b|r[ée]initiali|r[ée]cup[ée]r|oubli",
    re.IGNORECASE,
)


def email_kind(text: str) -> str:
    """`reset` when `text` speaks of the password, else `unclear`."""
    return "reset" if RESET_CUES.search(text) else "unclear"


class ActionSortMissingEmail(Action):
    """Sets `email_kind` for the rules that answer a missing email."""

    def name(self) -> str:
        return "action_sort_missing_email"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        chosen = next(tracker.get_latest_entity_values("email_kind"), None)
        if chosen in ("reset", "unclear"):
            return [SlotSet("email_kind", chosen)]
        if tracker.get_slot("sent_kind") == "reset":
            return [SlotSet("email_kind", "followup")]
        return [SlotSet("email_kind", email_kind(tracker.latest_message.get("text") or ""))]

"""The forms that collect and confirm the address an email goes to.

Three forms (password reset, device confirmation, license transfer) ask the
same two things: the address, then "shall I use it?". An address the
customer already gave (even in their first message) is validated and only
confirmed. Nothing is sent before the customer says yes, and a "no" asks
for the address again.
"""

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.email_address import check_address
from actions.prompts import say
from bot.redaction import REDACTION_MARKER

LICENSE_TRANSFER_FORM = "license_transfer_form"


class EmailSlots:
    """What the three forms' validations share: reading, judging and confirming the address.

    A mixin rather than a FormValidationAction subclass: rasa-sdk registers
    every Action subclass it finds, and this one has no form of its own.
    """

    async def extract_email(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Takes the raw answer when the classifier found no address in it.

        Without this, "anna at gmail" would just be asked for again; with it
        the customer is told why it was not accepted. A password given instead
        of the address (redacted before it got here, see bot.redaction) is not
        an address to judge: the customer is told never to share it, and the
        form asks for the address again.
        """
        if tracker.get_slot("requested_slot") != "email":
            return {}
        if any(e.get("entity") == "email" for e in tracker.latest_message.get("entities", [])):
            return {}
        text = (tracker.latest_message.get("text") or "").strip()
        if not text or text.startswith("/"):
            return {}
        if REDACTION_MARKER in text:
            dispatcher.utter_message(response="utter_never_share_password")
            return {}
        return {"email": text}

    def validate_email(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Accepts a well-formed address, fixing an obvious domain typo."""
        language = tracker.get_slot("language")
        checked = check_address(str(value))
        if checked.address is None:
            say(dispatcher, "invalid_email", language, typed=checked.typed[:80])
            return {"email": None, "email_confirmed": None}
        if checked.corrected:
            say(dispatcher, "email_typo", language, typed=checked.typed, email=checked.address)
        return {"email": checked.address, "email_confirmed": None}

    def validate_email_confirmed(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """A "no" forgets the address so that the form asks for it again."""
        if value is True:
            return {"email_confirmed": True}
        return {"email": None, "email_confirmed": None}


class ValidatePasswordResetForm(EmailSlots, FormValidationAction):
    """Validates `password_reset_form`."""

    def name(self) -> str:
        return "validate_password_reset_form"


class ValidateDeviceConfirmationForm(EmailSlots, FormValidationAction):
    """Validates `device_confirmation_form`."""

    def name(self) -> str:
        return "validate_device_confirmation_form"


class ValidateLicenseTransferForm(EmailSlots, FormValidationAction):
    """Validates `license_transfer_form`."""

    def name(self) -> str:
        return "validate_license_transfer_form"


class ActionAskEmail(Action):
    """Asks for the account's address, or for the NEW account's in a license transfer."""

    def name(self) -> str:
        return "action_ask_email"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        prompt = "ask_new_account_email" if tracker.active_loop_name == LICENSE_TRANSFER_FORM else "ask_email"
        say(dispatcher, prompt, tracker.get_slot("language"))
        return []


class ActionAskEmailConfirmed(Action):
    """Asks "shall I use <address>?" with yes/no buttons."""

    def name(self) -> str:
        return "action_ask_email_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        email: str | None = tracker.get_slot("email")
        say(dispatcher, "ask_email_confirmed", tracker.get_slot("language"), email=email)
        return []

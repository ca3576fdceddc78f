"""The forms that collect and confirm the address an email or a ticket goes to.

Three forms (password reset, device confirmation, licence transfer) ask for
an address, then "shall I use it?"; the licence transfer first asks for the
old, lost address, where support finds the licences. An address the customer
already gave (even in their first message) is validated and only confirmed.
Nothing is sent before the customer says yes.

A customer can always leave. At the address step a message is understood
before it is taken for an address: only a message the classifier could not
place (`inform`, `nlu_fallback`), one holding an "@" or one writing an
address out in words ("anna at gmail dot com") is judged as an address.
Anything else is left to the form's rejection, so that its rule answers it:
a request for a person hands over, "cancel" or "no" ends the form with
nothing sent, another article problem is answered and the next prompt offers
to go on or stop. A password typed there is warned about and never
repeated. The second answer that is not an address offers a person.

A typo is a question: the typed address stays unless the customer takes the
suggested one. A "no" to the confirmation asks whether to use another
address or stop. A button of an old offer ("Send a reset link") tapped while
another form is active is not a "yes" to that form: it is rejected here and
its rule starts what its words say.
"""

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.email_address import check_address, spaced_address, written_out_address
from actions.prompts import say

PASSWORD_RESET_FORM = "password_reset_form"
DEVICE_CONFIRMATION_FORM = "device_confirmation_form"
LICENSE_TRANSFER_FORM = "license_transfer_form"
# The `offer` entity an offer's button carries, by the form it starts.
FORM_OFFERS = {
    PASSWORD_RESET_FORM: "reset",
    DEVICE_CONFIRMATION_FORM: "device",
    LICENSE_TRANSFER_FORM: "license",
}
# What the classifier calls a message it could not place anywhere else: maybe an address.
ADDRESS_ATTEMPT_INTENTS = frozenset({"inform", "nlu_fallback"})
ADDRESS_SLOTS = ("email", "old_email")
# After this many answers that are not an address, the prompt offers a person.
MISSES_BEFORE_PERSON = 2
# The form's per-attempt state, forgotten when it starts again or ends.
ATTEMPT_SLOTS = ("email_confirmed", "email_suggestion", "email_typed", "email_step", "email_misses")


def latest_intent(tracker: Tracker) -> str | None:
    """The intent of the customer's latest message."""
    return (tracker.latest_message.get("intent") or {}).get("name")


def latest_entities(tracker: Tracker, entity: str) -> list[Any]:
    """The values of `entity` in the customer's latest message."""
    return [e.get("value") for e in tracker.latest_message.get("entities") or [] if e.get("entity") == entity]


def asking_form(tracker: Tracker) -> str | None:
    """The form that was active when the customer wrote the latest message.

    When an old offer's button starts another form, the new form is validated
    at once while `requested_slot` still names the previous form's question:
    that answer belongs to the previous form, not to the new one.
    """
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            seen_user = True
        elif seen_user and event.get("event") == "active_loop":
            return event.get("name")
    return None


def was_interrupted(tracker: Tracker) -> bool:
    """True when the form set aside the customer's latest message for another rule to answer."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "action_execution_rejected":
            return True
    return False


class EmailSlots:
    """What the three forms' validations share: reading, judging and confirming the addresses.

    A mixin rather than a FormValidationAction subclass: rasa-sdk registers
    every Action subclass it finds, and this one has no form of its own.
    """

    def form(self) -> str:
        """The form this validation belongs to."""
        return self.name()[len("validate_") :]  # type: ignore[attr-defined]

    def _foreign_offer(self, tracker: Tracker) -> bool:
        """The latest message is a button of another form's offer, tapped late."""
        offers = latest_entities(tracker, "offer")
        return bool(offers) and offers[-1] != FORM_OFFERS[self.form()]

    def _extract_address(
        self, slot: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        """What the latest message gives the address `slot`; {} leaves it to the rules."""
        if tracker.get_slot("requested_slot") != slot or asking_form(tracker) != self.form():
            return {}
        intent = latest_intent(tracker)
        text = (tracker.latest_message.get("text") or "").strip()
        if latest_entities(tracker, "credential"):
            # Warned about, never repeated; an address beside it still counts.
            dispatcher.utter_message(response="utter_never_share_password")
            return {} if latest_entities(tracker, "email") else {slot: None}
        if spaced_address(text):
            # The NLU found only the part after the last space: judge all of what was typed.
            return {slot: text}
        if latest_entities(tracker, "email"):
            return {}  # the slot's entity mapping has it
        if intent == "affirm":
            # "Another address" / "yes": ask again, unless it is another offer's button.
            return {} if self._foreign_offer(tracker) else {slot: None, "email_step": None}
        if text.startswith("/"):
            return {}  # another button: its own rule
        if intent in ADDRESS_ATTEMPT_INTENTS or "@" in text or written_out_address(text):
            return {slot: text}
        return {}

    async def extract_email(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The address an email or ticket goes to, from the latest message."""
        return self._extract_address("email", dispatcher, tracker)

    async def extract_email_confirmed(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A yes or no to the confirmation; another offer's button is neither."""
        if tracker.get_slot("requested_slot") != "email_confirmed" or asking_form(tracker) != self.form():
            return {}
        intent = latest_intent(tracker)
        if intent == "affirm" and not self._foreign_offer(tracker):
            return {"email_confirmed": True}
        if intent == "deny":
            return {"email_confirmed": False}
        return {}

    def _not_an_address(
        self, slot: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        """Says so without repeating the text; the second time offers a person."""
        misses = int(tracker.get_slot("email_misses") or 0) + 1
        prompt = "invalid_email_offer_human" if misses >= MISSES_BEFORE_PERSON else "invalid_email"
        say(dispatcher, prompt, tracker.get_slot("language"))
        return {slot: None, "email_misses": float(misses)}

    def validate_email(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Accepts a well-formed address; a likely typo or a space becomes a question."""
        if value is None:
            return {"email": None}
        checked = check_address(str(value))
        if checked.spaced:
            return {
                "email": checked.suggestion,
                "email_typed": checked.typed,
                "email_suggestion": None,
                "email_confirmed": None,
                "email_misses": 0.0,
            }
        if checked.address is None:
            return self._not_an_address("email", dispatcher, tracker)
        if (
            self.form() == LICENSE_TRANSFER_FORM
            and tracker.get_slot("old_email") is None
            and tracker.get_slot("requested_slot") is None
        ):
            # Given before the transfer started, in the story of the lost mailbox: the old address.
            return {"old_email": checked.address, "email": None}
        return {
            "email": checked.address,
            "email_suggestion": checked.suggestion,
            "email_typed": None,
            "email_confirmed": None,
            "email_misses": 0.0,
            "email_step": None,
        }

    def validate_email_confirmed(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Yes takes the suggested address if one was offered; no keeps what was typed, or asks."""
        suggestion = tracker.get_slot("email_suggestion")
        if value is True:
            if suggestion:
                return {"email": suggestion, "email_suggestion": None, "email_confirmed": True}
            return {"email_confirmed": True, "email_typed": None}
        if value is None:
            return {"email_confirmed": None}
        if suggestion:
            return {"email_suggestion": None, "email_confirmed": True}  # "keep what I typed"
        if tracker.get_slot("email_typed"):
            return {"email": None, "email_typed": None, "email_confirmed": None}  # retype it
        forget = {"old_email": None} if self.form() == LICENSE_TRANSFER_FORM else {}
        return {**forget, "email": None, "email_confirmed": None, "email_step": "another_or_stop"}


class ValidatePasswordResetForm(EmailSlots, FormValidationAction):
    """Validates `password_reset_form`."""

    def name(self) -> str:
        return "validate_password_reset_form"


class ValidateDeviceConfirmationForm(EmailSlots, FormValidationAction):
    """Validates `device_confirmation_form`."""

    def name(self) -> str:
        return "validate_device_confirmation_form"


class ValidateLicenseTransferForm(EmailSlots, FormValidationAction):
    """Validates `license_transfer_form`, which also asks for the old, lost address."""

    def name(self) -> str:
        return "validate_license_transfer_form"

    async def extract_old_email(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The lost address, from the latest message (its entity mapping takes a clean one)."""
        return self._extract_address("old_email", dispatcher, tracker)

    def validate_old_email(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Accepts a well-formed old address as typed: support searches for it, nothing is sent."""
        if value is None:
            return {"old_email": None}
        checked = check_address(str(value))
        if checked.address is None:
            return self._not_an_address("old_email", dispatcher, tracker)
        return {"old_email": checked.address, "email_misses": 0.0}


def _prompt_events(tracker: Tracker) -> list[EventType]:
    """What every prompt forgets: a one-time choice, and the offer that started the form."""
    events: list[EventType] = []
    if tracker.get_slot("offer"):
        events.append(SlotSet("offer", None))
    if tracker.get_slot("email_step"):
        events.append(SlotSet("email_step", None))
    return events


def ask_address(dispatcher: CollectingDispatcher, tracker: Tracker, prompt: str) -> list[EventType]:
    """Asks for an address with `prompt`, unless the customer is choosing between another address
    and stopping, or coming back to the form after another question (both address prompts)."""
    language = tracker.get_slot("language")
    if tracker.get_slot("email_step") == "another_or_stop":
        say(dispatcher, "another_or_stop", language)
    elif was_interrupted(tracker):
        say(dispatcher, "resume_email", language)
    else:
        say(dispatcher, prompt, language)
    return _prompt_events(tracker)


class ActionAskEmail(Action):
    """Asks for the account's address (the new account's in a licence transfer)."""

    def name(self) -> str:
        return "action_ask_email"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        transfer = tracker.active_loop_name == LICENSE_TRANSFER_FORM
        return ask_address(dispatcher, tracker, "ask_new_account_email" if transfer else "ask_email")


class ActionAskOldEmail(Action):
    """Asks for the address the licences were registered to."""

    def name(self) -> str:
        return "action_ask_old_email"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return ask_address(dispatcher, tracker, "ask_old_email")


class ActionAskEmailConfirmed(Action):
    """Asks "shall I use <address>?", or about a likely typo or a space in it."""

    def name(self) -> str:
        return "action_ask_email_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        language = tracker.get_slot("language")
        email: str | None = tracker.get_slot("email")
        suggestion = tracker.get_slot("email_suggestion")
        if suggestion:
            say(
                dispatcher,
                "email_typo",
                language,
                typed=email,
                email=suggestion,
                domain=suggestion.rpartition("@")[2],
            )
        elif tracker.get_slot("email_typed"):
            say(dispatcher, "email_space", language, typed=tracker.get_slot("email_typed"), email=email)
        elif tracker.active_loop_name == LICENSE_TRANSFER_FORM:
            say(
                dispatcher,
                "ask_license_confirmed",
                language,
                old_email=tracker.get_slot("old_email"),
                email=email,
            )
        else:
            say(dispatcher, "ask_email_confirmed", language, email=email)
        return _prompt_events(tracker)


class ActionLeaveForm(Action):
    """Ends the active form, if any, with nothing sent: "cancel", "no", goodbye."""

    def name(self) -> str:
        return "action_leave_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return leave_form(tracker)


def leave_form(tracker: Tracker) -> list[EventType]:
    """The events that close the active form and forget its attempt (none without a form)."""
    if not tracker.active_loop_name:
        return []
    return [ActiveLoop(None), SlotSet("requested_slot", None)] + [
        SlotSet(name, None) for name in ATTEMPT_SLOTS if tracker.get_slot(name) is not None
    ]

"""The address forms' decisions, message by message, with rasa-sdk's own tracker and dispatcher.

What the form takes as an address, what it leaves to the rules (so that a
person, "cancel" or another question is answered), and how a typo question
and a "no" are followed, without starting the stack (tests/e2e/conversations
plays the same paths end to end).
"""

import asyncio
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.forms import ValidateLicenseTransferForm, ValidatePasswordResetForm, was_interrupted


def tracker(
    text: str,
    intent: str,
    requested: str | None,
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    form: str = "password_reset_form",
    events: list[dict[str, Any]] | None = None,
) -> Tracker:
    message = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": entities or []}
    return Tracker.from_dict(
        {
            "sender_id": "t",
            "slots": {"requested_slot": requested, "language": "en", **(slots or {})},
            "latest_message": message,
            "events": events
            or [
                {"event": "active_loop", "name": form},
                {"event": "user", "text": text, "parse_data": message},
            ],
            "active_loop": {"name": form},
            "latest_action_name": "action_listen",
        }
    )


def extract(text: str, intent: str, requested: str = "email", **kwargs: Any) -> dict[str, Any]:
    dispatcher = CollectingDispatcher()
    form = ValidatePasswordResetForm()
    t = tracker(text, intent, requested, **kwargs)
    if requested == "email":
        return asyncio.run(form.extract_email(dispatcher, t, {}))
    return asyncio.run(form.extract_email_confirmed(dispatcher, t, {}))


@pytest.mark.parametrize(
    "text, intent",
    [
        ("cancel", "stop"),
        ("I want to talk to a human", "request_human"),
        ("en fait je ne sais même plus avec quelle adresse je me suis inscrit", "forgot_account_email"),
        ("how do I install Windows 11 on my Mac", "out_of_scope"),
        ("no", "deny"),
    ],
)
def test_messages_understood_as_something_else_are_left_to_their_rules(text: str, intent: str) -> None:
    assert extract(text, intent) == {}


@pytest.mark.parametrize(
    "text, intent",
    [
        ("anna at gmail dot com", "inform"),
        ("euh", "nlu_fallback"),
        ("anna@", "greet"),
        # Written out in words, whatever the classifier reads in "gmail" or "mail".
        ("anna at gmail dot com", "forgot_account_email"),
        ("ivan собака mail точка ru", "lost_email_access"),
        ("c'est jean arobase orange point fr", "stop"),
    ],
)
def test_what_may_be_an_address_is_judged_as_one(text: str, intent: str) -> None:
    assert extract(text, intent) == {"email": text}


def test_a_spaced_address_is_taken_whole_not_as_the_nlus_cut() -> None:
    cut = [{"entity": "email", "value": "petrov@gmail.com", "start": 5, "end": 21}]
    assert extract("ivan petrov@gmail.com", "inform", entities=cut) == {"email": "ivan petrov@gmail.com"}


def test_a_password_is_warned_about_and_the_address_asked_again() -> None:
    dispatcher = CollectingDispatcher()
    t = tracker(
        "[redacted: credential]", "inform", "email", entities=[{"entity": "credential", "value": "shared"}]
    )
    assert asyncio.run(ValidatePasswordResetForm().extract_email(dispatcher, t, {})) == {"email": None}
    assert [m["response"] for m in dispatcher.messages] == ["utter_never_share_password"]


def test_an_old_button_of_another_offer_is_not_a_yes() -> None:
    stale = [{"entity": "offer", "value": "device"}]
    assert extract("/affirm", "affirm", "email_confirmed", entities=stale) == {}
    own = [{"entity": "offer", "value": "reset"}]
    assert extract("/affirm", "affirm", "email_confirmed", entities=own) == {"email_confirmed": True}
    assert extract("/affirm", "affirm", "email", entities=stale) == {}


def validate(value: Any, slot: str, slots: dict[str, Any], form: Any = None) -> dict[str, Any]:
    dispatcher = CollectingDispatcher()
    form = form or ValidatePasswordResetForm()
    t = tracker("x", "inform", slot, slots=slots)
    return getattr(form, f"validate_{slot}")(value, dispatcher, t, {})


def test_a_typo_suggestion_is_only_taken_on_yes() -> None:
    asked = validate("anna@gmial.com", "email", {})
    assert asked["email"] == "anna@gmial.com" and asked["email_suggestion"] == "anna@gmail.com"
    kept = {"email": "anna@gmial.com", "email_suggestion": "anna@gmail.com"}
    assert validate(False, "email_confirmed", kept) == {"email_suggestion": None, "email_confirmed": True}
    taken = validate(True, "email_confirmed", kept)
    assert taken["email"] == "anna@gmail.com" and taken["email_confirmed"] is True


def test_no_to_the_confirmation_asks_another_address_or_stop() -> None:
    said = validate(False, "email_confirmed", {"email": "anna@example.com"})
    assert said["email"] is None and said["email_step"] == "another_or_stop"


def test_the_second_answer_that_is_not_an_address_offers_a_person() -> None:
    dispatcher = CollectingDispatcher()
    t = tracker("x", "inform", "email", slots={"email_misses": 1.0})
    result = ValidatePasswordResetForm().validate_email("nope", dispatcher, t, {})
    assert result == {"email": None, "email_misses": 2.0}
    assert {b["payload"] for b in dispatcher.messages[0]["buttons"]} == {"/request_human", "/stop"}
    assert "nope" not in dispatcher.messages[0]["text"]


def test_an_address_given_before_a_license_transfer_is_the_old_one() -> None:
    moved = validate("old@example.com", "email", {}, form=ValidateLicenseTransferForm())
    # `requested_slot` is the slot under validation in these trackers; at activation it is None.
    assert moved["email"] == "old@example.com"
    dispatcher = CollectingDispatcher()
    t = tracker("x", "inform", None, slots={}, form="license_transfer_form")
    at_start = ValidateLicenseTransferForm().validate_email("old@example.com", dispatcher, t, {})
    assert at_start == {"old_email": "old@example.com", "email": None}


def test_an_interruption_is_seen_until_the_next_customer_message() -> None:
    rejected = [
        {"event": "active_loop", "name": "password_reset_form"},
        {"event": "user", "text": "x"},
        {"event": "action_execution_rejected", "name": "password_reset_form"},
    ]
    assert was_interrupted(tracker("x", "inform", "email", events=rejected))
    later = rejected + [{"event": "user", "text": "y"}]
    assert not was_interrupted(tracker("y", "inform", "email", events=later))


def test_a_question_of_the_previous_form_is_not_answered_by_the_form_an_old_button_starts() -> None:
    events = [
        {"event": "active_loop", "name": "device_confirmation_form"},
        {"event": "user", "text": "/affirm"},
        {"event": "active_loop", "name": "password_reset_form"},
    ]
    own = [{"entity": "offer", "value": "reset"}]
    assert extract("/affirm", "affirm", "email_confirmed", entities=own, events=events) == {}

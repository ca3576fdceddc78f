"""bot.runtime.action_domain: the form validations get the domain without its responses, and
answer exactly as they do with the whole domain."""

import asyncio
from pathlib import Path

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk.executor import ActionExecutor

from bot.runtime import action_domain

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def pristine_rasa(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RemoteAction, "_action_call_format", RemoteAction._action_call_format)


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


def form_tracker(domain: Domain, text: str, email: str | None) -> DialogueStateTracker:
    """A customer in the password-reset form, asked for the address, who answers `text`."""
    events = [
        ActionExecuted("action_listen"),
        UserUttered("I forgot my password", {"name": "forgot_password", "confidence": 0.9}),
        ActiveLoop("password_reset_form"),
        SlotSet("language", "en"),
        SlotSet("requested_slot", "email"),
        ActionExecuted("action_listen"),
        UserUttered(text, {"name": "inform", "confidence": 0.9}),
    ]
    if email:
        events.append(SlotSet("email", email))
    return DialogueStateTracker.from_events("c", events, domain.slots)


def calls(domain: Domain, tracker: DialogueStateTracker) -> tuple[dict, dict]:
    """What Rasa's own format and ours send for the form's validation."""
    action = RemoteAction("validate_password_reset_form", EndpointConfig("http://127.0.0.1:1/webhook"))
    rasas = RemoteAction._action_call_format(action, tracker, domain)
    action_domain.install()
    action_domain.install()  # twice: wrapped once
    return rasas, action._action_call_format(tracker, domain)


def test_the_domain_goes_without_its_responses_and_is_built_once(domain: Domain) -> None:
    rasas, ours = calls(domain, form_tracker(domain, "anna@example.com", "anna@example.com"))
    ours, rasas = dict(ours), dict(rasas)
    assert "responses" in rasas["domain"] and "responses" not in ours["domain"]
    assert ours["domain"] == {k: v for k, v in rasas["domain"].items() if k != "responses"}
    sent = ours.pop("domain")
    del rasas["domain"]
    assert ours == rasas  # the rest of the call is Rasa's
    again = RemoteAction("validate_password_reset_form", None)._action_call_format(
        form_tracker(domain, "x", None), domain
    )
    assert again["domain"] is sent


def test_an_action_that_does_not_ask_for_the_domain_still_gets_none(domain: Domain) -> None:
    action_domain.install()
    endpoint = EndpointConfig("http://127.0.0.1:1/webhook", enable_selective_domain=True)
    call = RemoteAction("action_send_password_reset", endpoint)._action_call_format(
        form_tracker(domain, "x", None), domain
    )
    assert "domain" not in call


@pytest.mark.parametrize(
    "text, email",
    [
        ("anna@example.com", "anna@example.com"),
        ("anna@gmial.com", "anna@gmial.com"),
        ("my password is hunter2hunter2", None),
        ("anna at gmail dot com", None),
    ],
)
def test_the_validation_answers_the_same_without_the_responses(
    domain: Domain, text: str, email: str | None
) -> None:
    executor = ActionExecutor()
    executor.register_package("actions")
    rasas, ours = calls(domain, form_tracker(domain, text, email))
    assert asyncio.run(executor.run(ours)) == asyncio.run(executor.run(rasas))

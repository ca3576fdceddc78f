"""bot.runtime.server's changes to Rasa: the same action-response verdicts, the tracker store
unwrapped, the API token from the environment, and no change made to a method Rasa no longer has."""

import pytest
from jsonschema import ValidationError
from rasa.core import processor as rasa_processor
from rasa.core import run as rasa_run
from rasa.core.actions.action import RemoteAction
from rasa.core.actions.forms import FormAction
from rasa.core.agent import Agent
from rasa.core.processor import MessageProcessor
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import EndpointConfig

from bot.runtime import server

VALID = {
    "events": [
        {"event": "slot", "name": "email", "value": "a@example.com"},
        {"event": "active_loop", "name": "password_reset_form"},
    ],
    "responses": [{"text": "Which email address?", "buttons": []}],
}
INVALID = {"events": [{"event": "slot", "name": 42}], "responses": "not a list"}


@pytest.fixture(autouse=True)
def pristine_rasa(monkeypatch) -> None:
    """Whatever a test installs is undone after it: Rasa's own code again for the next test."""
    monkeypatch.setattr(RemoteAction, "_validate_action_result", RemoteAction._validate_action_result)
    monkeypatch.setattr(Agent, "_create_tracker_store", Agent.__dict__["_create_tracker_store"])
    monkeypatch.setattr(
        MessageProcessor, "_handle_message_with_tracker", MessageProcessor._handle_message_with_tracker
    )
    monkeypatch.setattr(MessageProcessor, "_run_action", MessageProcessor._run_action)
    monkeypatch.setattr(RemoteAction, "run", RemoteAction.run)
    monkeypatch.setattr(rasa_run, "configure_app", rasa_run.configure_app)
    monkeypatch.setattr(rasa_processor, "DaskGraphRunner", DaskGraphRunner)
    monkeypatch.setattr(EndpointConfig, "session", EndpointConfig.session)
    monkeypatch.setattr(rasa_run, "close_resources", rasa_run.close_resources)
    monkeypatch.setattr(RemoteAction, "_action_call_format", RemoteAction._action_call_format)
    monkeypatch.setattr(Domain, "is_empty", Domain.is_empty)
    monkeypatch.setattr(FormAction, "_temporary_tracker", FormAction._temporary_tracker)
    monkeypatch.setattr(rasa_run, "load_agent_on_start", rasa_run.load_agent_on_start)


@pytest.fixture
def rasas_own():
    """Rasa's own check, kept before `install` replaces it."""
    original = RemoteAction._validate_action_result
    server.install()
    return original


def test_valid_and_invalid_responses_get_the_same_verdicts_as_rasa(rasas_own) -> None:
    action = RemoteAction("action_ask_email", None)
    assert rasas_own(action, VALID) is True and action._validate_action_result(VALID) is True
    with pytest.raises(ValidationError) as ours:
        action._validate_action_result(INVALID)
    with pytest.raises(ValidationError) as rasas:
        rasas_own(action, INVALID)
    assert ours.value.message == rasas.value.message
    assert "Failed to validate Action server response" in ours.value.message


def test_the_tracker_store_is_used_as_configured_so_its_errors_reach_the_channel() -> None:
    domain = Domain.empty()
    assert isinstance(
        Agent._create_tracker_store(InMemoryTrackerStore(domain), domain), FailSafeTrackerStore
    )  # Rasa's own: errors fall back to memory
    server.install()
    store = InMemoryTrackerStore(domain)
    assert Agent._create_tracker_store(store, domain) is store
    assert isinstance(Agent._create_tracker_store(None, domain), InMemoryTrackerStore)


def test_the_api_token_comes_from_the_environment_not_the_command_line(monkeypatch) -> None:
    monkeypatch.setenv("RASA_AUTH_TOKEN", "-starts-like-an-option")
    serve = ["rasa", "run", "--enable-api", "--port", "5005"]
    assert server.with_token_from_environment(serve) == [*serve, "--auth-token=-starts-like-an-option"]
    given = [*serve, "--auth-token", "given"]
    assert server.with_token_from_environment(given) == given
    assert server.with_token_from_environment(["rasa", "shell"]) == ["rasa", "shell"]


def test_a_replacement_whose_rasa_method_is_gone_stops_the_start(monkeypatch) -> None:
    monkeypatch.delattr(RemoteAction, "_validate_action_result")
    with pytest.raises(RuntimeError, match=r"RemoteAction\._validate_action_result is gone"):
        server.install()

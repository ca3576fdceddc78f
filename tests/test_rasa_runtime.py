"""bot.rasa_runtime's two changes to Rasa: the same action-response verdicts, the tracker store unwrapped."""

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.core.agent import Agent
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.shared.core.domain import Domain

from bot import rasa_runtime

VALID = {"events": [{"event": "slot", "name": "email", "value": "a@example.com"},
                    {"event": "active_loop", "name": "password_reset_form"}],
         "responses": [{"text": "Which email address?", "buttons": []}]}
INVALID = {"events": [{"event": "slot", "name": 42}], "responses": "not a list"}


@pytest.fixture
def rasas_own(monkeypatch):
    """Rasa's own check; `install` replaces it (and the tracker store's wrapper) for this test only."""
    original = RemoteAction._validate_action_result
    monkeypatch.setattr(RemoteAction, "_validate_action_result", original)
    monkeypatch.setattr(Agent, "_create_tracker_store", Agent.__dict__["_create_tracker_store"])
    rasa_runtime.install()
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


def test_the_tracker_store_is_used_as_configured_so_its_errors_reach_the_channel(monkeypatch) -> None:
    monkeypatch.setattr(Agent, "_create_tracker_store", Agent.__dict__["_create_tracker_store"])
    monkeypatch.setattr(RemoteAction, "_validate_action_result",
                        RemoteAction._validate_action_result)
    domain = Domain.empty()
    assert isinstance(Agent._create_tracker_store(InMemoryTrackerStore(domain), domain),
                      FailSafeTrackerStore)  # Rasa's own: errors fall back to memory
    rasa_runtime.install()
    store = InMemoryTrackerStore(domain)
    assert Agent._create_tracker_store(store, domain) is store
    assert isinstance(Agent._create_tracker_store(None, domain), InMemoryTrackerStore)

"""bot.rasa_runtime's changes to Rasa: the same action-response verdicts, the tracker store unwrapped,
waiters that keep their place in a conversation's lock."""

import asyncio
import time

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.core.agent import Agent
from rasa.core.lock_store import InMemoryLockStore, LockError, LockStore
from rasa.core import run as rasa_run
from rasa.core.processor import MessageProcessor
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.shared.core.domain import Domain

from bot import rasa_runtime

VALID = {"events": [{"event": "slot", "name": "email", "value": "a@example.com"},
                    {"event": "active_loop", "name": "password_reset_form"}],
         "responses": [{"text": "Which email address?", "buttons": []}]}
INVALID = {"events": [{"event": "slot", "name": 42}], "responses": "not a list"}


@pytest.fixture(autouse=True)
def pristine_rasa(monkeypatch) -> None:
    """Whatever a test installs is undone after it: Rasa's own code again for the next test."""
    monkeypatch.setattr(RemoteAction, "_validate_action_result",
                        RemoteAction._validate_action_result)
    monkeypatch.setattr(Agent, "_create_tracker_store", Agent.__dict__["_create_tracker_store"])
    monkeypatch.setattr(LockStore, "_acquire_lock", LockStore._acquire_lock)
    monkeypatch.setattr(LockStore, "issue_ticket", LockStore.issue_ticket)
    monkeypatch.setattr(LockStore, "finish_serving", LockStore.finish_serving)
    monkeypatch.setattr(MessageProcessor, "_handle_message_with_tracker",
                        MessageProcessor._handle_message_with_tracker)
    monkeypatch.setattr(rasa_run, "configure_app", rasa_run.configure_app)


@pytest.fixture
def rasas_own():
    """Rasa's own check, kept before `install` replaces it."""
    original = RemoteAction._validate_action_result
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


def test_the_tracker_store_is_used_as_configured_so_its_errors_reach_the_channel() -> None:
    domain = Domain.empty()
    assert isinstance(Agent._create_tracker_store(InMemoryTrackerStore(domain), domain),
                      FailSafeTrackerStore)  # Rasa's own: errors fall back to memory
    rasa_runtime.install()
    store = InMemoryTrackerStore(domain)
    assert Agent._create_tracker_store(store, domain) is store
    assert isinstance(Agent._create_tracker_store(None, domain), InMemoryTrackerStore)


async def _wait_behind_a_dead_holder(store: InMemoryLockStore) -> None:
    """A holder's ticket (1 s) and the waiter's (1 s) expire between two checks 0.6 s apart."""
    store.issue_ticket("conversation", 1.0)  # its worker died: nobody will ever finish it
    await asyncio.sleep(0.05)
    async with store.lock("conversation", lock_lifetime=1.0, wait_time_in_seconds=0.6):
        pass


async def test_rasas_own_lock_loses_a_waiter_whose_ticket_expired_meanwhile() -> None:
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(_wait_behind_a_dead_holder(InMemoryLockStore()), timeout=4)


async def test_a_waiter_is_served_once_a_dead_holders_ticket_expires() -> None:
    rasa_runtime.install()
    store = InMemoryLockStore()
    started = time.monotonic()
    await asyncio.wait_for(_wait_behind_a_dead_holder(store), timeout=4)
    assert 1.0 <= time.monotonic() - started < 3
    assert store.get_lock("conversation") is None  # cleaned up after the turn


async def test_a_waiter_whose_ticket_is_gone_fails_instead_of_waiting_for_ever() -> None:
    rasa_runtime.install()
    store = InMemoryLockStore()
    store.issue_ticket("conversation", 60)  # a holder that is still at work

    async def lose_my_ticket() -> None:
        await asyncio.sleep(0.2)
        lock = store.get_lock("conversation")
        lock.remove_ticket_for(lock.last_issued)  # e.g. expired while the event loop was blocked
        store.save_lock(lock)

    waiting = store.lock("conversation", wait_time_in_seconds=0.3)
    with pytest.raises(LockError):
        await asyncio.gather(waiting.__aenter__(), lose_my_ticket())


def test_the_api_token_comes_from_the_environment_not_the_command_line(monkeypatch) -> None:
    monkeypatch.setenv("RASA_AUTH_TOKEN", "-starts-like-an-option")
    serve = ["rasa", "run", "--enable-api", "--port", "5005"]
    assert rasa_runtime.with_token_from_environment(serve) == [
        *serve, "--auth-token=-starts-like-an-option"]
    given = [*serve, "--auth-token", "given"]
    assert rasa_runtime.with_token_from_environment(given) == given
    assert rasa_runtime.with_token_from_environment(["rasa", "shell"]) == ["rasa", "shell"]

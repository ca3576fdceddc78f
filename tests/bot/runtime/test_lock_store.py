"""bot.runtime.lock_store: waiters that keep their place in a conversation's lock, and the lock
stores Rasa creates from the endpoints files. (Redis's transactions are exercised with a real Redis
and several workers in tests/e2e/scaled.)"""

import asyncio
import re
import time
from pathlib import Path

import pytest
from rasa.core.lock_store import InMemoryLockStore, LockError, LockStore
from rasa.utils.endpoints import read_endpoint_config

from bot.runtime.lock_store import InMemoryTicketLockStore, RedisTicketLockStore

ROOT = Path(__file__).resolve().parents[3]


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
    store = InMemoryTicketLockStore()
    started = time.monotonic()
    await asyncio.wait_for(_wait_behind_a_dead_holder(store), timeout=4)
    assert 1.0 <= time.monotonic() - started < 3
    assert store.get_lock("conversation") is None  # cleaned up after the turn


async def test_a_waiter_whose_ticket_is_gone_fails_instead_of_waiting_for_ever() -> None:
    store = InMemoryTicketLockStore()
    store.issue_ticket("conversation", 60)  # a holder that is still at work

    async def lose_my_ticket() -> None:
        await asyncio.sleep(0.2)
        lock = store.get_lock("conversation")
        lock.remove_ticket_for(lock.last_issued)  # e.g. expired while the event loop was blocked
        store.save_lock(lock)

    waiting = store.lock("conversation", wait_time_in_seconds=0.3)
    with pytest.raises(LockError):
        await asyncio.gather(waiting.__aenter__(), lose_my_ticket())


def test_the_endpoints_files_name_these_lock_stores_and_rasa_creates_them(monkeypatch) -> None:
    def created(name: str, environment: dict[str, str]) -> LockStore:
        path = ROOT / name
        for variable in set(re.findall(r"\$\{(\w+)\}", path.read_text())):
            monkeypatch.setenv(variable, environment.get(variable, "5433"))
        return LockStore.create(read_endpoint_config(str(path), "lock_store"))

    assert type(created("endpoints.yml", {})) is InMemoryTicketLockStore
    scaled = created("endpoints-scaled.yml", {"LOCK_STORE_HOST": "redis.internal", "LOCK_STORE_PORT": "6390"})
    assert type(scaled) is RedisTicketLockStore
    connection = scaled.red.connection_pool.connection_kwargs
    assert (connection["host"], connection["port"], connection["db"]) == ("redis.internal", 6390, 0)
    assert scaled.key_prefix == "assistant:lock:"


def test_a_lock_store_whose_rasa_method_is_gone_stops_the_start(monkeypatch) -> None:
    monkeypatch.delattr(LockStore, "_acquire_lock")
    with pytest.raises(RuntimeError, match=r"LockStore\._acquire_lock is gone"):
        InMemoryTicketLockStore()

"""Conversation lock stores named by module path in the endpoints files (Rasa's extension point):
`endpoints.yml` names `InMemoryTicketLockStore`, `endpoints-scaled.yml` `RedisTicketLockStore`.

**A waiter that keeps its place in a conversation's lock.** Rasa's ticket lock lets a ticket
expire after `TICKET_LOCK_LIFETIME` seconds so that a worker that died holding a conversation
does not hold it for ever. But the ticket of a message *waiting* behind it expires just as well:
when both expire between two of the waiter's once-a-second checks, the lock is left with no
ticket to serve and the waiter checks for ever (the bench's killed worker left 2 of 4 such
conversations hanging until the client gave up; RasaHQ/rasa#5396 reports the same loop). Here a
waiter renews its own ticket at each check, and a waiter whose ticket is gone all the same fails
with Rasa's `LockError` instead of looping. A holder still expires after the lifetime, as in
Rasa: a turn longer than that lets the conversation's next message in.

**Ticket changes in Redis as transactions.** Rasa's Redis lock store reads a conversation's
ticket list, changes it and writes it back. Two workers taking tickets at the same instant both
got ticket 0 and processed the same conversation at once; the second save then dropped an
answered message from the transcript (seen in tests/e2e/scaled with four simultaneous messages).
Issuing, finishing and renewing a ticket here retry under Redis's WATCH until no other worker
changed the list in between.

The classes override `LockStore._acquire_lock`, which is not public: creating one fails when
Rasa no longer has the methods overridden here (bot.runtime.replace).
"""

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from rasa.core import lock_store
from rasa.core.lock import TicketLock
from rasa.utils.endpoints import EndpointConfig
from redis.exceptions import WatchError

from bot.runtime.replace import require_method

OVERRIDDEN = ("_acquire_lock", "issue_ticket", "finish_serving")


class TicketChanges(lock_store.LockStore):
    """Rasa's ticket lock with waiters that renew their tickets; every change of a conversation's
    ticket list goes through `_change`, which a store makes atomic if it needs to."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        for name in OVERRIDDEN:
            require_method(lock_store.LockStore, name)
        super().__init__(*args, **kwargs)

    def _change(self, conversation_id: str, change: Callable[[TicketLock], Any], create: bool = False) -> Any:
        """Applies `change` to the conversation's lock and saves it, returning what `change` returns
        (None, without calling it, when there is no lock and `create` is False)."""
        lock = self.get_lock(conversation_id) or (self.create_lock(conversation_id) if create else None)
        if lock is None:
            return None
        result = change(lock)
        self.save_lock(lock)
        return result

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = lock_store.LOCK_LIFETIME) -> int:
        """Rasa's issue_ticket, as one change."""
        try:
            return self._change(conversation_id, lambda lock: lock.issue_ticket(lock_lifetime), create=True)
        except Exception as error:
            raise lock_store.LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Rasa's finish_serving, as one change."""
        self._change(conversation_id, lambda lock: lock.remove_ticket_for(ticket_number))

    def _renew(self, conversation_id: str, ticket: int) -> bool:
        """Drops expired tickets and extends the waiting `ticket`; False when it is gone."""

        def extend(lock: TicketLock) -> bool:
            lock.remove_expired_tickets()
            mine = next((t for t in lock.tickets if t.number == ticket), None)
            if mine:
                mine.expires = time.time() + lock_store.LOCK_LIFETIME
            return mine is not None

        return bool(self._change(conversation_id, extend))

    async def _acquire_lock(
        self, conversation_id: str, ticket: int, wait_time_in_seconds: float
    ) -> TicketLock:
        """Rasa's waiting loop, the waiter's ticket renewed at each check."""
        while True:
            lock = self.get_lock(conversation_id)
            if not lock:
                break
            if not lock.is_locked(ticket):
                return lock
            await asyncio.sleep(wait_time_in_seconds)
            if not self._renew(conversation_id, ticket):
                break
        raise lock_store.LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")


class InMemoryTicketLockStore(TicketChanges, lock_store.InMemoryLockStore):
    """One process's locks (`make run`), waiters renewing their tickets."""

    def __init__(self, endpoint_config: EndpointConfig | None = None) -> None:
        super().__init__()


class RedisTicketLockStore(TicketChanges, lock_store.RedisLockStore):
    """Locks shared by every worker (`make run-scaled`): Rasa's Redis lock store with its endpoint
    settings (url, port, password, db, key_prefix), ticket changes as WATCH transactions."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        super().__init__(host=endpoint_config.url, **endpoint_config.kwargs)

    def _change(self, conversation_id: str, change: Callable[[TicketLock], Any], create: bool = False) -> Any:
        """As `TicketChanges._change`, as a transaction retried whenever another worker changed
        the lock meanwhile."""
        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    if raw is None and not create:
                        pipe.unwatch()
                        return None
                    lock = TicketLock.from_dict(json.loads(raw)) if raw else TicketLock(conversation_id)
                    result = change(lock)
                    pipe.multi()
                    pipe.set(key, lock.dumps())
                    pipe.execute()
                    return result
                except WatchError:
                    continue

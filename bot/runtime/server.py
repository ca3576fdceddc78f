"""`python -m bot.runtime ...`: Rasa's own command line with five changes to how it serves.

**The action-response check, built once.** Rasa 3.6 checks every action server response against
a JSON schema with `jsonschema.validate`, which first re-checks the (large, constant) schema
against JSON Schema's meta-schema and builds a new validator, on every call. Profiling a worker
under load (`make bench PROFILE=1`) showed that re-check taking close to half of its CPU: 34 ms
per action call here, against 0.8 ms for the same check with the validator built once. The check
itself is unchanged: the same schema, the same `ValidationError` with Rasa's own message.

**A tracker store that fails instead of forgetting.** Rasa wraps every tracker store in a
`FailSafeTrackerStore`: when the database cannot be reached it answers from a blank in-memory
conversation and keeps the turn only in that process's memory. A customer half-way through the
reset form is greeted as a stranger, and the turn never reaches the transcript agents read (the
bench's PostgreSQL restart showed exactly that). Unwrapped, the error reaches the channel (the
REST channel answers 503, see connectors.rest); once the database is back, the customer's next
message continues the real conversation.

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
Issuing, finishing and renewing a ticket now retry under Redis's WATCH until no other worker
changed the list in between.

**An honest answer when the action server is away** (bot.runtime.action_outage): a failed
custom-action call ends the turn with "nothing was sent, a person can help" instead of Rasa's
carrying on as if the action had run.

**The HTTP API token out of the process list.** `run --enable-api` without `--auth-token` takes
the token from `RASA_AUTH_TOKEN`, so it is not on a command line every local user can read.

Everything else is Rasa's `python -m rasa` (`run`, `shell`, ...), untouched.
"""

import asyncio
import json
import os
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Text

from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core import lock_store
from rasa.core.actions.action import RemoteAction
from rasa.core.agent import Agent
from rasa.core.lock import TicketLock
from rasa.core.tracker_store import InMemoryTrackerStore, TrackerStore
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.domain import Domain
from redis.exceptions import WatchError

from bot.runtime import action_outage, long_conversations

TOKEN_VARIABLE = "RASA_AUTH_TOKEN"


def _action_response_validator() -> Any:
    """The validator `jsonschema.validate` would build on every call, built and checked once."""
    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _unwrapped_tracker_store(store: Optional[TrackerStore], domain: Domain) -> TrackerStore:
    """Agent's tracker store as configured, without the in-memory fallback."""
    if store is None:
        return InMemoryTrackerStore(domain)
    store.domain = domain
    return store


def _change(store: lock_store.LockStore, conversation_id: Text,
            change: Callable[[TicketLock], Any], create: bool = False) -> Any:
    """Applies `change` to the conversation's lock and saves it, returning what `change` returns
    (None, without calling it, when there is no lock and `create` is False). On Redis, a
    transaction: retried whenever another worker changed the lock meanwhile."""
    if not isinstance(store, lock_store.RedisLockStore):
        lock = store.get_lock(conversation_id) or (store.create_lock(conversation_id) if create else None)
        if lock is None:
            return None
        result = change(lock)
        store.save_lock(lock)
        return result
    key = store.key_prefix + conversation_id
    with store.red.pipeline() as pipe:
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


def _issue_ticket(self: lock_store.LockStore, conversation_id: Text,
                  lock_lifetime: float = lock_store.LOCK_LIFETIME) -> int:
    """Rasa's issue_ticket, as one transaction."""
    try:
        return _change(self, conversation_id, lambda lock: lock.issue_ticket(lock_lifetime),
                       create=True)
    except Exception as error:
        raise lock_store.LockError(f"Error while acquiring lock. Error:\n{error}")


def _finish_serving(self: lock_store.LockStore, conversation_id: Text, ticket_number: int) -> None:
    """Rasa's finish_serving, as one transaction."""
    _change(self, conversation_id, lambda lock: lock.remove_ticket_for(ticket_number))


def _renew(store: lock_store.LockStore, conversation_id: Text, ticket: int) -> bool:
    """Drops expired tickets and extends the waiting `ticket`; False when it is gone."""
    def extend(lock: TicketLock) -> bool:
        lock.remove_expired_tickets()
        mine = next((t for t in lock.tickets if t.number == ticket), None)
        if mine:
            mine.expires = time.time() + lock_store.LOCK_LIFETIME
        return mine is not None

    return bool(_change(store, conversation_id, extend))


async def _acquire_lock(self: lock_store.LockStore, conversation_id: Text, ticket: int,
                        wait_time_in_seconds: float) -> TicketLock:
    """Rasa's waiting loop, the waiter's ticket renewed at each check."""
    while True:
        lock = self.get_lock(conversation_id)
        if not lock:
            break
        if not lock.is_locked(ticket):
            return lock
        await asyncio.sleep(wait_time_in_seconds)
        if not _renew(self, conversation_id, ticket):
            break
    raise lock_store.LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")


def _validate_action_result_with(validator: Any):
    def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
        error = best_match(validator.iter_errors(result))  # what jsonschema.validate raises
        if error is None:
            return True
        error.message += (
            ". Failed to validate Action server response from API, make sure your response "
            "from the Action endpoint is valid. For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error

    return validate_action_result


def install() -> None:
    """Applies the changes to the Rasa modules of this process."""
    action_outage.install()
    long_conversations.install()
    Agent._create_tracker_store = staticmethod(_unwrapped_tracker_store)
    lock_store.LockStore._acquire_lock = _acquire_lock
    lock_store.LockStore.issue_ticket = _issue_ticket
    lock_store.LockStore.finish_serving = _finish_serving
    RemoteAction._validate_action_result = _validate_action_result_with(
        _action_response_validator())


def with_token_from_environment(argv: List[Text]) -> List[Text]:
    """`argv` with `--auth-token` added from RASA_AUTH_TOKEN for `run --enable-api`."""
    token = os.environ.get(TOKEN_VARIABLE, "").strip()
    serving_api = argv[1:2] == ["run"] and "--enable-api" in argv
    given = any(a == "--auth-token" or a.startswith("--auth-token=") for a in argv)
    if token and serving_api and not given:
        return [*argv, f"--auth-token={token}"]  # one word: a token may begin with "-"
    return argv


def main() -> None:
    """Rasa's command line after `install`."""
    install()
    sys.argv = with_token_from_environment(sys.argv)
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()

"""`python -m bot.rasa_runtime ...`: Rasa's own command line with three changes to how it serves.

**The action-response check, built once.** Rasa 3.6 checks every action server response against a JSON schema with `jsonschema.validate`,
which first re-checks the (large, constant) schema against JSON Schema's meta-schema and builds a
new validator, on every call. Profiling a worker under load (`make bench PROFILE=1`) showed that
re-check taking close to half of its CPU: 34 ms per action call here, against 0.8 ms for the same
check with the validator built once. Every turn of a form calls the action server two or three
times, so this was the largest single cost of a turn. The check itself is unchanged: the same
schema, the same `ValidationError` with Rasa's own message on a bad response.

**A tracker store that fails instead of forgetting.** Rasa wraps every tracker store in a
`FailSafeTrackerStore`: when the database cannot be reached it answers from a blank in-memory
conversation and keeps the turn only in that process's memory. A customer half-way through the
reset form is greeted as a stranger, and the turn never reaches the transcript agents read (the
bench's PostgreSQL restart showed exactly that). Unwrapped, the error reaches the channel, which
answers that turn with nothing (REST: an empty reply list) and stores nothing; once the
database is back, the customer's next message continues the real conversation.

**A waiting message that cannot be forgotten by the lock.** Rasa's ticket lock lets a ticket
expire after `TICKET_LOCK_LIFETIME` seconds so that a worker that died holding a conversation
does not hold it for ever. But the ticket of a message *waiting* behind it expires just as well:
when both expire between two of the waiter's once-a-second checks, the lock is left with no
ticket to serve and the waiter checks for ever (the bench's killed worker left 2 of 4 such
conversations hanging until the client gave up; RasaHQ/rasa#5396 reports the same loop). Here a
waiter renews its own ticket at every check, so only a holder that stopped checking, a dead
one, expires.

Everything else is Rasa's `python -m rasa` (`run`, `shell`, ...), untouched.
"""

import asyncio
import time
from typing import Any, Dict, Optional, Text

from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.core import lock_store
from rasa.core.agent import Agent
from rasa.core.lock import Ticket, TicketLock
from rasa.core.tracker_store import InMemoryTrackerStore, TrackerStore
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.domain import Domain


def _action_response_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)  # once, as jsonschema.validate would on each call
    return validator_class(schema)


def _unwrapped_tracker_store(store: Optional[TrackerStore], domain: Domain) -> TrackerStore:
    """Agent's tracker store as configured, without the in-memory fallback."""
    if store is None:
        return InMemoryTrackerStore(domain)
    store.domain = domain
    return store


def _renew(store: lock_store.LockStore, conversation_id: Text, ticket: int) -> None:
    """Drops expired tickets and gives the waiting `ticket` a new lifetime (back in line if it
    had expired)."""
    lock = store.get_lock(conversation_id)
    if not lock:
        return
    lock.remove_expired_tickets()
    expires = time.time() + lock_store.LOCK_LIFETIME
    mine = next((t for t in lock.tickets if t.number == ticket), None)
    if mine:
        mine.expires = expires
    else:
        lock.tickets = sorted([*lock.tickets, Ticket(ticket, expires)], key=lambda t: t.number)
    store.save_lock(lock)


async def _acquire_lock(self: lock_store.LockStore, conversation_id: Text, ticket: int,
                        wait_time_in_seconds: float) -> TicketLock:
    """Rasa's waiting loop, renewing the waiter's ticket instead of only pruning expired ones."""
    while True:
        lock = self.get_lock(conversation_id)
        if not lock:
            break
        if not lock.is_locked(ticket):
            return lock
        await asyncio.sleep(wait_time_in_seconds)
        _renew(self, conversation_id, ticket)
    raise lock_store.LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")


def install() -> None:
    """Applies the three changes to the Rasa modules of this process."""
    Agent._create_tracker_store = staticmethod(_unwrapped_tracker_store)
    lock_store.LockStore._acquire_lock = _acquire_lock
    validator = _action_response_validator()

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

    RemoteAction._validate_action_result = validate_action_result


def main() -> None:
    """Rasa's command line after `install`."""
    install()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()

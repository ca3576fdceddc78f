"""A tracker store that fails instead of forgetting.

Rasa wraps every tracker store in a `FailSafeTrackerStore`: when the database cannot be reached it
answers from a blank in-memory conversation and keeps the turn only in that process's memory. A
customer half-way through the reset form is greeted as a stranger, and the turn never reaches the
transcript agents read (the bench's PostgreSQL restart showed exactly that). Unwrapped, the error
reaches the channel (the REST channel answers 503, see connectors.rest); once the database is
back, the customer's next message continues the real conversation.

Rasa offers no extension point for the wrapping (it happens in `Agent` whatever the store's
type), so `bot.runtime.server` replaces `Agent._create_tracker_store` with this function.
"""

from rasa.core.tracker_store import InMemoryTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain


def unwrapped_tracker_store(store: TrackerStore | None, domain: Domain) -> TrackerStore:
    """Agent's tracker store as configured, without the in-memory fallback."""
    if store is None:
        return InMemoryTrackerStore(domain)
    store.domain = domain
    return store

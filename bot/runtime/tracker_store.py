"""The tracker store: two changes, both so that a database error fails a turn, never more.

**The SQL tracker store endpoints.yml names** (`type: bot.runtime.tracker_store.SQLTrackerStore`).
Rasa's `SQLTrackerStore.session_scope` treats *any* `ValueError` raised while a session is open
as "the PostgreSQL schema is missing" and calls `print_error_and_exit`: the whole Rasa process
exits. A `UnicodeEncodeError` is a `ValueError`, and so is psycopg2's refusal of a NUL
character, so one message whose sender id held a lone surrogate stopped the product for every
customer. Here only the schema check itself can say the schema is missing, and it raises an
error instead of exiting; every other error fails the turn that caused it (the REST channel
answers 503, a platform turn is logged) and the process goes on serving the others.

The connectors refuse or repair such bytes before a turn exists (connectors/webhook.py); this is
the second wall, for whatever reaches the store another way (the HTTP API, a new channel).

**A tracker store that fails instead of forgetting.** Rasa wraps every tracker store in a
`FailSafeTrackerStore`: when the database cannot be reached it answers from a blank in-memory
conversation and keeps the turn only in that process's memory. A customer half-way through the
reset form is greeted as a stranger, and the turn never reaches the transcript agents read (the
bench's PostgreSQL restart showed exactly that). Unwrapped, the error reaches the channel (the REST
channel answers 503, see connectors.rest); once the database is back, the customer's next message
continues the real conversation.

Rasa offers no extension point for the wrapping (it happens in `Agent` whatever the store's
type), so `bot.runtime.server` replaces `Agent._create_tracker_store` with this function.
"""

import contextlib
import logging
from collections.abc import Generator
from typing import Any

from rasa.core import tracker_store as rasa_tracker_store
from rasa.core.tracker_store import InMemoryTrackerStore, TrackerStore, ensure_schema_exists
from rasa.shared.core.domain import Domain
from rasa.shared.exceptions import RasaException

logger = logging.getLogger(__name__)


class MissingSchemaError(RasaException):
    """The PostgreSQL schema named by POSTGRESQL_SCHEMA does not exist."""


class SQLTrackerStore(rasa_tracker_store.SQLTrackerStore):
    """Rasa's SQL tracker store whose errors fail a turn, never the process."""

    @contextlib.contextmanager
    def session_scope(self) -> Generator[Any, None, None]:
        """A session around a series of operations; errors inside propagate unchanged."""
        session = self.sessionmaker()
        try:
            try:
                ensure_schema_exists(session)
            except ValueError as missing:
                raise MissingSchemaError(
                    f"The PostgreSQL schema '{missing}' does not exist: create it, or unset "
                    f"POSTGRESQL_SCHEMA to use the default schema."
                ) from None
            yield session
        finally:
            session.close()


def unwrapped_tracker_store(store: TrackerStore | None, domain: Domain) -> TrackerStore:
    """Agent's tracker store as configured, without the in-memory fallback."""
    if store is None:
        return InMemoryTrackerStore(domain)
    store.domain = domain
    return store

"""`python -m bot.rasa_runtime ...`: Rasa's own command line with two changes to how it serves.

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

Everything else is Rasa's `python -m rasa` (`run`, `shell`, ...), untouched.
"""

from typing import Any, Dict, Optional, Text

from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.core.agent import Agent
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


def install() -> None:
    """Applies both changes to the Rasa modules of this process."""
    Agent._create_tracker_store = staticmethod(_unwrapped_tracker_store)
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

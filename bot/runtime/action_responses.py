"""The action-response check, built once and applied per event type.

Rasa 3.6 checks every action server response against a JSON schema with `jsonschema.validate`,
which first re-checks the (large, constant) schema against JSON Schema's meta-schema and builds a
new validator, on every call. Profiling a worker under load (`make bench PROFILE=1`) showed that
re-check taking close to half of its CPU: 34 ms per action call here, against 0.8 ms for the same
check with the validator built once.

Of those 0.8 ms, most went to the schema's `oneOf` over the 23 event types: every event of a
response is checked against all 23 alternatives, because `oneOf` must find exactly one. Each
alternative requires its own constant `event` name, so at most one can match, the one named by
the event itself: checking an event against that alternative alone (with the properties every
event shares) gives the same verdict, in 0.08 ms instead of 0.7 for a form's usual response. A
response the quick check refuses is checked again by the whole schema, so that the error raised
is Rasa's own: the same `ValidationError` and message as before.
"""

from collections.abc import Callable
from typing import Any

from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


class ActionResponseCheck:
    """Rasa's action-response schema as one validator for the response without its events and
    one per event type; fails at start if Rasa's schema is no longer shaped that way."""

    def __init__(self, schema: dict[str, Any]) -> None:
        validator_class = validator_for(schema)
        validator_class.check_schema(schema)
        self.whole = validator_class(schema)
        try:
            events = schema["properties"]["events"]
            item = events["items"]
            names = [branch["properties"]["event"]["const"] for branch in item["oneOf"]]
        except (KeyError, TypeError):
            names = []
        if not names or len(set(names)) != len(names) or "event" not in item.get("required", ()):
            raise RuntimeError(
                "Rasa's action-response schema no longer tells its event types apart by a "
                "required, constant `event`: bot.runtime.action_responses needs updating"
            )
        shared = {key: value for key, value in item.items() if key != "oneOf"}
        self.by_event = {
            name: validator_class({**shared, "allOf": [branch]})
            for name, branch in zip(names, item["oneOf"], strict=True)
        }
        without_items = {key: value for key, value in events.items() if key != "items"}
        self.outside_events = validator_class(
            {**schema, "properties": {**schema["properties"], "events": without_items}}
        )

    def is_valid(self, result: Any) -> bool:
        """The whole schema's verdict on `result`, one event-type alternative per event."""
        if not self.outside_events.is_valid(result):
            return False
        for event in result.get("events") or ():
            name = event.get("event") if isinstance(event, dict) else None
            validator = self.by_event.get(name) if isinstance(name, str) else None
            if validator is None or not validator.is_valid(event):
                return False
        return True

    def error(self, result: Any) -> Any:
        """The error `jsonschema.validate` raises for `result` (None if it has none)."""
        return best_match(self.whole.iter_errors(result))


def action_response_check() -> ActionResponseCheck:
    """The check of Rasa's own action-response schema."""
    return ActionResponseCheck(RemoteAction.action_response_format_spec())


def validate_action_result_with(
    check: ActionResponseCheck,
) -> Callable[[RemoteAction, dict[str, Any]], bool]:
    """RemoteAction._validate_action_result with `check` instead of a new validator per call."""

    def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        if check.is_valid(result):
            return True
        error = check.error(result)
        if error is None:
            return True
        error.message += (
            ". Failed to validate Action server response from API, make sure your response "
            "from the Action endpoint is valid. For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error

    return validate_action_result

"""The domain Rasa sends the action server: without its responses, built once per model.

With `enable_selective_domain` (endpoints.yml), Rasa sends the domain only to the actions that
ask for it: here the three form validations (`send_domain: true` in domain.yml), which rasa-sdk
gives the form's required slots and the slots' mappings from `forms` and `slots`. Rasa sends the
whole domain, 86 KB of JSON of which 81 KB are the responses in three languages, encoded on
Rasa's event loop and decoded by the action server for each validation (0.2 ms to encode alone).
The action server never reads the responses: an action's message names a response and Rasa
renders it. So the domain is sent without them, the rest unchanged and computed once per domain.
"""

from collections.abc import Callable
from typing import Any

from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from bot.runtime.replace import wrap_method

LEFT_OUT = "responses"
_KEPT = "_domain_for_actions"  # attribute of a Domain: its dict without LEFT_OUT


def for_actions(domain: Domain) -> dict[str, Any]:
    """`domain.as_dict()` without the responses, computed once per domain."""
    kept = domain.__dict__.get(_KEPT)
    if kept is None:
        kept = {key: value for key, value in domain.as_dict().items() if key != LEFT_OUT}
        setattr(domain, _KEPT, kept)
    return kept


def without_responses(
    call_format: Callable[[RemoteAction, DialogueStateTracker, Domain], dict[str, Any]],
) -> Callable[[RemoteAction, DialogueStateTracker, Domain], dict[str, Any]]:
    """Rasa's `RemoteAction._action_call_format`, its domain (when it sends one) `for_actions`."""

    def action_call_format(
        self: RemoteAction, tracker: DialogueStateTracker, domain: Domain
    ) -> dict[str, Any]:
        call = call_format(self, tracker, domain)
        if "domain" in call:
            call["domain"] = for_actions(domain)
        return call

    return action_call_format


def install() -> None:
    """Rasa's action calls send `for_actions` of their domain (once per process)."""
    wrap_method(RemoteAction, "_action_call_format", without_responses)

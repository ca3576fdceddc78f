"""Holding a customer for a person: no answers from NLU once the conversation is handed off.

Before, after "a person will answer here" the assistant went on classifying the customer's
messages and answering them ("my license disappeared…" got the deleted-address text). While
the `person_request` slot is `waiting` this policy outranks the others (priority 7, RulePolicy
has 6) and, for each customer message, predicts exactly one of:
- `utter_added_to_request`: the message is added to the request, a person will answer here;
- `utter_no_person_yet`: the wait's reminder fired (bot.person_request.WAIT_OVER_INTENT);
  keep waiting, continue with the assistant, or get the answer by email;
- `utter_ask_reply_email`: the customer chose email and gave no address in the same message;
- `action_stop_waiting`: the customer no longer needs a person, or gave the address;
then `action_listen`. `/restart` is left to Rasa. While an agent holds the conversation, Rasa
itself is paused and no policy runs; a reminder that fires after the wait has ended, or again
after "nobody is free yet" was said (a wait restored by bot.runtime.waits in two workers), is
answered with silence. It is Rasa's own extension point: a policy named in config.yml.
"""

from typing import Any, Dict, List, Optional

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME, USER_INTENT_RESTART, USER_INTENT_SESSION_START
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ReminderScheduled, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from bot.person_request import (
    CHOICE_ENTITY,
    CHOOSE_ASSISTANT,
    CHOOSE_EMAIL,
    SLOT,
    WAIT_OVER_INTENT,
    WAITING,
    reminder_name,
)

ACKNOWLEDGE = "utter_added_to_request"
WAIT_OVER = "utter_no_person_yet"
ASK_EMAIL = "utter_ask_reply_email"
STOP_WAITING = "action_stop_waiting"
OWN_ACTIONS = (ACKNOWLEDGE, WAIT_OVER, ASK_EMAIL, STOP_WAITING)
PRIORITY = 7


def _entity(message: UserUttered, name: str) -> Optional[str]:
    for entity in message.entities or []:
        if entity.get("entity") == name and entity.get("value"):
            return str(entity["value"])
    return None


def _action_before_latest_message(tracker: DialogueStateTracker) -> Optional[str]:
    """The last action other than listening before the customer's latest message."""
    seen_message = False
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            seen_message = True
        elif seen_message and isinstance(event, ActionExecuted) and event.action_name != ACTION_LISTEN_NAME:
            return event.action_name
    return None


def _wait_over_said(tracker: DialogueStateTracker) -> bool:
    """Whether "nobody is free yet" was said since this wait's reminder was set: a reminder
    restored after a restart (bot.runtime.waits) can fire twice, in two workers."""
    name = reminder_name(tracker.sender_id)
    for event in reversed(tracker.events):
        if isinstance(event, ActionExecuted) and event.action_name == WAIT_OVER:
            return True
        if isinstance(event, ReminderScheduled) and event.name == name:
            return False
    return False


def next_action(tracker: DialogueStateTracker) -> Optional[str]:
    """What a held conversation does next, or None to leave it to the other policies."""
    latest_action = tracker.latest_action_name
    message = tracker.latest_message
    intent = (message.intent or {}).get("name") if message else None
    if tracker.get_slot(SLOT) != WAITING:
        # A reminder from a wait that has ended (taken over, withdrawn): nothing to say.
        return (
            ACTION_LISTEN_NAME if latest_action == ACTION_LISTEN_NAME and intent == WAIT_OVER_INTENT else None
        )
    if latest_action in OWN_ACTIONS:
        return ACTION_LISTEN_NAME
    if latest_action != ACTION_LISTEN_NAME or message is None:
        return None
    if intent in (USER_INTENT_RESTART, USER_INTENT_SESSION_START):
        return None
    if intent == WAIT_OVER_INTENT:
        return ACTION_LISTEN_NAME if _wait_over_said(tracker) else WAIT_OVER
    choice = _entity(message, CHOICE_ENTITY)
    address = _entity(message, "email")
    if choice == CHOOSE_ASSISTANT:
        return STOP_WAITING
    if choice == CHOOSE_EMAIL:
        return STOP_WAITING if address else ASK_EMAIL
    if address and _action_before_latest_message(tracker) == ASK_EMAIL:
        return STOP_WAITING
    return ACKNOWLEDGE


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class HoldingPolicy(Policy):
    """Predicts the holding actions with certainty while the customer waits for a person."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """Above RulePolicy (6), so that no rule answers a held customer."""
        return {"priority": PRIORITY}

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "HoldingPolicy":
        """Nothing learnt: the same policy is created for training and for inference."""
        return cls(config, model_storage, resource, execution_context)

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "HoldingPolicy":
        """Nothing was persisted: loading is creating."""
        return cls(config, model_storage, resource, execution_context)

    def train(
        self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any
    ) -> Resource:
        """Nothing to learn; every action named here must be in the domain."""
        missing = [name for name in OWN_ACTIONS if name not in domain.action_names_or_texts]
        if missing:
            raise ValueError(f"HoldingPolicy needs these actions in the domain: {', '.join(missing)}")
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[str, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        """Certainty for the holding action, or no opinion (all zeros) outside a wait."""
        probabilities = self._default_predictions(domain)
        action = next_action(tracker)
        if action is not None:
            probabilities[domain.index_for_action(action)] = 1.0
        return self._prediction(probabilities)

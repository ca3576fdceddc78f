"""RulePolicy and MemoizationPolicy whose state history is continued, not recomputed, per call.

config.yml names these instead of Rasa's. Their predictions are Rasa's: what changes is where
`past_states` comes from (bot.dialogue.history, which continues Rasa's own fold over the new
events) and, for the rules, which rules are checked against the last state (only those it can
satisfy, not all 203), proven on long conversations by tests/bot/dialogue/test_history.py, which
compares every prediction with Rasa's policies trained on the same data.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from rasa.core.policies.memoization import MemoizationPolicy
from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.core.policies.rule_policy import (
    RULES,
    RULES_FOR_LOOP_UNHAPPY_PATH,
    RULES_NOT_IN_STORIES,
    RulePolicy,
)
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET, USER
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import ACTION_NAME, INTENT

from bot.dialogue import history
from bot.runtime.replace import require_method


class _HistoryView:
    """What the tracker featurizer reads of a tracker (`past_states`), from the kept folds."""

    def __init__(self, tracker: DialogueStateTracker, keep: int | None = None) -> None:
        self._tracker = tracker
        self._keep = keep  # only the last `keep` states are read (all when None)

    def past_states(
        self,
        domain: Domain,
        omit_unset_slots: bool = False,
        ignore_rule_only_turns: bool = False,
        rule_only_data: dict[str, Any] | None = None,
    ) -> list[State]:
        states = history.past_states(
            self._tracker,
            domain,
            omit_unset_slots,
            ignore_rule_only_turns,
            rule_only_data,
        )
        return states[-self._keep :] if self._keep and len(states) > self._keep else states


def _check_featurizer_reads_only_past_states() -> None:
    """The featurizer must build states through `tracker.past_states` (Rasa 3.6's
    `TrackerFeaturizer._create_states`), or the view above would not be what it reads."""
    import inspect

    from rasa.core.featurizers.tracker_featurizers import TrackerFeaturizer

    create = getattr(TrackerFeaturizer, "_create_states", None)
    if create is None or "tracker.past_states(" not in inspect.getsource(create):
        raise RuntimeError(
            "TrackerFeaturizer._create_states no longer reads tracker.past_states: "
            "bot.dialogue.policies was written for Rasa 3.6 and must be revised."
        )


def check_rasa_api() -> None:
    """Fails at start when this Rasa lacks what the policies rely on."""
    history.check_rasa_api()
    _check_featurizer_reads_only_past_states()
    for name in ("_get_possible_keys", "_is_rule_applicable", "_rule_key_to_state"):
        require_method(RulePolicy, name)
    for policy in (RulePolicy, MemoizationPolicy):
        if policy._prediction_states is not Policy._prediction_states:
            raise RuntimeError(
                f"{policy.__name__} has its own _prediction_states: "
                "bot.dialogue.policies must be revised for this Rasa."
            )


def _prediction_states(
    self: Any,
    tracker: DialogueStateTracker,
    domain: Domain,
    use_text_for_last_user_input: bool = False,
    rule_only_data: dict[str, Any] | None = None,
) -> list[State]:
    """`Policy._prediction_states`, its featurizer reading the history through the folds."""
    return Policy._prediction_states(
        self,
        _HistoryView(tracker),
        domain,
        use_text_for_last_user_input,
        rule_only_data,
    )


def _required(sub_state: Any, key: str) -> str | None:
    """The value a rule's sub-state requires the conversation's to equal (None: no such value).

    `RulePolicy._does_rule_match_state` rejects a conversation state whose value differs from a
    rule's set value other than SHOULD_NOT_BE_SET."""
    value = sub_state.get(key) if isinstance(sub_state, dict) else None
    return value if isinstance(value, str) and value and value != SHOULD_NOT_BE_SET else None


class RuleIndex:
    """The keys of one rule lookup sorted by what a rule's last state requires of the
    conversation's last state: its previous action's name, its user intent, or no previous action
    at all (a conversation's start). `candidates` leaves out only keys that
    `RulePolicy._is_rule_applicable` would refuse for that state, so filtering the candidates
    gives the same keys as filtering them all."""

    def __init__(self, lookup: dict[str, Any], key_to_states: Callable[[str], list[State]]) -> None:
        self.lookup = lookup  # held, so that its id is not reused while this index is kept
        self.always: list[str] = []  # keys of no state: applicable to any (Rasa's `turn_index >= len`)
        self.starts: list[str] = []  # last state without a previous action
        self.required: defaultdict[tuple[str | None, str | None], list[str]] = defaultdict(list)
        for key in lookup:
            states = key_to_states(key)
            if not states:
                self.always.append(key)
                continue
            last = states[-1]
            previous = last.get(PREVIOUS_ACTION)
            if not previous:
                self.starts.append(key)
            else:
                requirement = (_required(previous, ACTION_NAME), _required(last.get(USER), INTENT))
                self.required[requirement].append(key)

    def candidates(self, state: State) -> Iterable[str]:
        """The keys whose last rule state `state` may satisfy."""
        previous = state.get(PREVIOUS_ACTION)
        if not previous:
            return [*self.always, *self.starts]  # a rule needing a previous action never applies
        name, intent = _required(previous, ACTION_NAME), _required(state.get(USER), INTENT)
        found = list(self.always)
        for required in {(name, intent), (name, None), (None, intent), (None, None)}:
            found += self.required.get(required, ())
        return found


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class ContinuedRulePolicy(RulePolicy):
    """Rasa's RulePolicy, its state history continued between calls, and at prediction time
    given only the states a rule can read.

    A rule of n states is judged on the last n states (`RulePolicy._is_rule_applicable` accepts
    every rule beyond its length), so the last `longest + 1` states decide the same rules as the
    whole history, where `longest` is the longest key the policy knows (rules, unhappy loop paths,
    rules not in stories). When no rule applies, Rasa's prediction source is the key of all the
    states, only compared with the rules not in stories (`hide_rule_turn`): a key of more than
    `longest` states, cut or whole, is never one of them. Training keeps the whole history: its
    contradiction checks read the sources themselves.

    At prediction time a lookup's keys are first narrowed by a RuleIndex of it to those the last
    state can satisfy (the profile of a worker under load had a tenth of its CPU in checking all
    203 rules against each state, twice per prediction); training checks them all, its lookup
    still growing.
    """

    _cut_history = True
    _states_kept: int | None = None  # longest key + 1, once the lookup is final

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        check_rasa_api()
        super().__init__(*args, **kwargs)
        self._indexes: dict[int, RuleIndex] = {}

    def train(
        self,
        training_trackers: list[TrackerWithCachedStates],
        domain: Domain,
        **kwargs: Any,
    ) -> Resource:
        """Rasa's training, on whole histories."""
        self._cut_history = False
        try:
            return super().train(training_trackers, domain, **kwargs)
        finally:
            self._cut_history = True
            self._states_kept = None
            self._indexes = {}

    def _get_possible_keys(self, lookup: dict[str, Any], states: list[State]) -> set[str]:
        """Rasa's filter of the lookup's keys by the states, on the index's candidates."""
        if not self._cut_history or not states:
            return super()._get_possible_keys(lookup, states)
        index = self._indexes.get(id(lookup))
        if index is None or index.lookup is not lookup:
            index = self._indexes[id(lookup)] = RuleIndex(lookup, self._rule_key_to_state)
        possible = set(index.candidates(states[-1]))
        for turn, state in enumerate(reversed(states)):
            possible = {key for key in possible if self._is_rule_applicable(key, turn, state)}
        return possible

    def _longest_key(self) -> int:
        longest = 0
        for table in (RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RULES_NOT_IN_STORIES):
            for key in self.lookup.get(table, ()):
                if key.startswith("["):
                    longest = max(longest, len(self._rule_key_to_state(key)))
        return longest

    def _prediction_states(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        use_text_for_last_user_input: bool = False,
        rule_only_data: dict[str, Any] | None = None,
    ) -> list[State]:
        if not self._cut_history:
            return _prediction_states(self, tracker, domain, use_text_for_last_user_input, rule_only_data)
        if self._states_kept is None:
            self._states_kept = self._longest_key() + 1
        return Policy._prediction_states(
            self,
            _HistoryView(tracker, self._states_kept),
            domain,
            use_text_for_last_user_input,
            rule_only_data,
        )

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        """Rasa's prediction, under Rasa's name (events, transcripts and `rasa test` read it)."""
        prediction = super().predict_action_probabilities(
            tracker, domain, rule_only_data=rule_only_data, **kwargs
        )
        prediction.policy_name = RulePolicy.__name__
        return prediction


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class ContinuedMemoizationPolicy(MemoizationPolicy):
    """Rasa's MemoizationPolicy, its state history continued between calls."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        check_rasa_api()
        super().__init__(*args, **kwargs)

    _prediction_states = _prediction_states

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        """Rasa's prediction, under Rasa's name (events, transcripts and `rasa test` read it)."""
        prediction = super().predict_action_probabilities(
            tracker, domain, rule_only_data=rule_only_data, **kwargs
        )
        prediction.policy_name = MemoizationPolicy.__name__
        return prediction

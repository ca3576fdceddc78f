"""RulePolicy and MemoizationPolicy whose state history is continued, not recomputed, per call.

config.yml names these instead of Rasa's. Their predictions are Rasa's: the only change is where
`past_states` comes from (bot.dialogue.history, which continues Rasa's own fold over the new
events), proven on long conversations by tests/bot/dialogue/test_policies.py, which compares every
prediction with Rasa's policies trained on the same data.
"""

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
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from bot.dialogue import history


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
    """

    _cut_history = True
    _states_kept: int | None = None  # longest key + 1, once the lookup is final

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        check_rasa_api()
        super().__init__(*args, **kwargs)

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

"""bot.dialogue: the continued folds give exactly Rasa's applied events, states and predictions
over long conversations, and the policies built on them predict exactly as Rasa's.

The long conversation is every story of data/ and tests/stories/ played one after the other in
one session (forms entered and left, slots set, languages switched), with messages taken back
(`UserUtteranceReverted`), actions undone (`ActionReverted`) and forms left midway, so that the
folds must notice when an event they had used is no longer applied. The tracker grows one event
at a time, as in production, and before every action both policies predict on it.
"""

import copy
from collections.abc import Iterator
from pathlib import Path

import pytest
from dialogue_support import long_conversation
from rasa.core.agent import Agent
from rasa.core.policies.memoization import MemoizationPolicy
from rasa.core.policies.policy import Policy
from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.dialogue import history, policies
from bot.dialogue.policies import ContinuedMemoizationPolicy, ContinuedRulePolicy

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def shipped(model: Path) -> tuple[Domain, RulePolicy, MemoizationPolicy]:
    """The shipped model's domain and its trained rule and memoization policies."""
    agent = Agent.load(str(model))
    components = [node._component for node in agent.processor.graph_runner._instantiated_nodes.values()]
    rule = next(c for c in components if isinstance(c, RulePolicy))
    memo = next(c for c in components if isinstance(c, MemoizationPolicy) and not isinstance(c, RulePolicy))
    return agent.domain, rule, memo


def as_class(policy: Policy, cls: type) -> Policy:
    """The same trained policy (same lookup, same config) as an instance of `cls`."""
    twin = copy.copy(policy)
    twin.__class__ = cls
    return twin


@pytest.fixture
def rasa_applied_events(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Rasa's own `applied_events` on the tracker class, whatever another test installed."""
    monkeypatch.setattr(DialogueStateTracker, "applied_events", history._rasa_applied_events)
    yield


def growing(domain: Domain) -> Iterator[tuple[DialogueStateTracker, Event]]:
    """The long conversation's tracker before each of its events, updated in place."""
    tracker = DialogueStateTracker("long", domain.slots)
    for event in long_conversation(domain):
        yield tracker, event
        tracker.update(event)
    yield tracker, ActionExecuted(ACTION_LISTEN_NAME)


def test_the_long_conversation_is_long_and_exercises_reverts(
    shipped: tuple[Domain, RulePolicy, MemoizationPolicy],
) -> None:
    events = long_conversation(shipped[0])
    assert sum(isinstance(e, UserUttered) for e in events) >= 80
    assert any(isinstance(e, ActiveLoop) and e.name for e in events)
    assert any(isinstance(e, UserUtteranceReverted) for e in events)
    assert any(isinstance(e, ActionReverted) for e in events)


def test_applied_events_and_states_are_rasa_s_after_every_event(
    shipped: tuple[Domain, RulePolicy, MemoizationPolicy], rasa_applied_events: None
) -> None:
    domain, rule, _ = shipped
    rule_only = rule._get_rule_only_data()
    checked = 0
    for tracker, _event in growing(domain):
        assert history.applied_events(tracker) == tracker.applied_events()
        for ignore_rule_only_turns in (False, True):
            ours = history.past_states(tracker, domain, False, ignore_rule_only_turns, rule_only)
            rasa = tracker.past_states(domain, False, ignore_rule_only_turns, rule_only)
            assert ours == rasa
        checked += 1
    assert checked > 400


def test_undone_form_turns_resume_the_states_from_a_recent_turn_start(
    shipped: tuple[Domain, RulePolicy, MemoizationPolicy],
    rasa_applied_events: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When a form undoes its previous turn (or a message is taken back), the states go on from
    a copy kept at a recent turn start, not from the first event (the states themselves are
    compared with Rasa's in the test above)."""
    domain, rule, _ = shipped
    rule_only = rule._get_rule_only_data()
    found: list[bool] = []
    resumed = history._StatesFold.resumed

    def counted(self: history._StatesFold, applied: list[Event]) -> history._StatesFold | None:
        fold = resumed(self, applied)
        found.append(fold is not None)
        return fold

    monkeypatch.setattr(history._StatesFold, "resumed", counted)
    for tracker, _event in growing(domain):
        for ignore_rule_only_turns in (False, True):
            history.past_states(tracker, domain, False, ignore_rule_only_turns, rule_only)
    assert found.count(True) >= 40 and found.count(False) == 0, found


def test_every_prediction_is_rasa_s(
    shipped: tuple[Domain, RulePolicy, MemoizationPolicy], rasa_applied_events: None
) -> None:
    """Before each action of the long conversation, Rasa's and our policies, trained alike,
    predict the same (probabilities, events, policy name, hidden turn, end-to-end flags)."""
    domain, rule, memo = shipped
    rasa_rule, our_rule = (
        as_class(rule, RulePolicy),
        as_class(rule, ContinuedRulePolicy),
    )
    rasa_memo, our_memo = (
        as_class(memo, MemoizationPolicy),
        as_class(memo, ContinuedMemoizationPolicy),
    )
    rule_only = rule._get_rule_only_data()
    predictions = rules_found = 0
    for tracker, event in growing(domain):
        if not isinstance(event, ActionExecuted):
            continue
        expected = rasa_rule.predict_action_probabilities(tracker, domain, rule_only_data=rule_only)
        assert our_rule.predict_action_probabilities(tracker, domain, rule_only_data=rule_only) == expected
        rules_found += max(expected.probabilities) == 1.0
        assert our_memo.predict_action_probabilities(
            tracker, domain, rule_only_data=rule_only
        ) == rasa_memo.predict_action_probabilities(tracker, domain, rule_only_data=rule_only)
        predictions += 1
    assert predictions > 200 and rules_found > 100, (predictions, rules_found)
    assert our_rule._states_kept is not None and our_rule._states_kept < 20


def test_the_rule_index_leaves_out_only_keys_rasa_refuses(
    shipped: tuple[Domain, RulePolicy, MemoizationPolicy], rasa_applied_events: None
) -> None:
    """Before each action of the long conversation, for every rule lookup and both kinds of
    states (intents, and the text of the last message), the keys found through the index are the
    keys Rasa's filter finds among all of them, and the index checked fewer."""
    domain, rule, _ = shipped
    rasa_rule, our_rule = as_class(rule, RulePolicy), as_class(rule, ContinuedRulePolicy)
    our_rule._indexes = {}
    rule_only = rule._get_rule_only_data()
    lookups = [table for table in rule.lookup.values() if isinstance(table, dict) and table]
    compared = found = 0
    for tracker, event in growing(domain):
        if not isinstance(event, ActionExecuted):
            continue
        for use_text in (False, True):
            states = rasa_rule._prediction_states(tracker, domain, use_text, rule_only_data=rule_only)
            for lookup in lookups:
                expected = rasa_rule._get_possible_keys(lookup, states)
                assert our_rule._get_possible_keys(lookup, states) == expected
                compared += 1
                found += bool(expected)
        index = our_rule._indexes[id(rule.lookup["rules"])]
        assert len(list(index.candidates(states[-1]))) < len(rule.lookup["rules"]) / 2
    assert compared > 1000 and found > 200, (compared, found)


def test_a_missing_rasa_method_fails_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    policies.check_rasa_api()
    monkeypatch.delattr(Domain, "_substitute_rule_only_user_input")
    with pytest.raises(RuntimeError, match="_substitute_rule_only_user_input"):
        policies.check_rasa_api()


def test_a_rasa_policy_with_its_own_state_history_fails_at_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(RulePolicy, "_prediction_states", lambda *a, **k: [])
    with pytest.raises(RuntimeError, match="RulePolicy has its own"):
        policies.check_rasa_api()

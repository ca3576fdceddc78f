"""A conversation's applied events and dialogue states, computed once per event, not per turn.

Rasa's RulePolicy and MemoizationPolicy ask, at every prediction (two to six a turn), for the
states of the *whole* conversation: `Domain.states_for_tracker_history` replays every applied
event into a fresh tracker and builds a state before each action, and
`DialogueStateTracker.applied_events` rescans every event to drop the reverted ones. At turn 80
of one conversation that is ~3,400 events replayed per prediction: a turn cost 3-5 times more
than at the start, although Memoization reads only the last 4 states and a rule only its length.

Both computations are left folds over the events, and events are only ever appended. So the fold
is kept on the tracker, with what it had consumed, and the next call continues it over the new
events only. It is the same code as Rasa's on the same inputs, in two pieces instead of one, so
the result is the same; whenever the continuation is not certain to be the same (the events were
replaced, a reverted or undone event was one the states had already used, a new loop name
appeared, the history is bounded), the fold starts again from the first event, as Rasa does.
The states fold keeps copies of itself at the last CHECKPOINTS turn starts, because a form undoes
its previous turn's events at each of its turns (Rasa's `_undo_till_previous_loop_execution`):
it goes on from the latest copy taken before the undone events instead of the first event (at
turn 160 of one conversation those restarts were a third of a turn's CPU).

Rasa's private helpers used here are checked by `check_rasa_api` when the policies are built:
a Rasa without them fails at start, not at a customer's turn.
"""

import copy
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from rasa.shared.constants import DEFAULT_SENDER_ID
from rasa.shared.core.constants import ACTION_LISTEN_NAME, PREVIOUS_ACTION
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.runtime.replace import require_method

_ATTRIBUTE = "_bot_history_folds"
# Turn starts a states fold keeps copies of: a form undoes its last turn, a revert one or two.
CHECKPOINTS = 4
# Rasa's own, kept before bot.runtime.long_conversations replaces it with `applied_events` below.
_rasa_applied_events = DialogueStateTracker.applied_events

# What this module calls on Rasa's classes beyond their documented methods.
RASA_API = (
    (DialogueStateTracker, "_undo_till_previous"),
    (DialogueStateTracker, "_first_loop_execution_or_unhappy_path"),
    (DialogueStateTracker, "_undo_till_previous_loop_execution"),
    (DialogueStateTracker, "init_copy"),
    (DialogueStateTracker, "applied_events"),
    (Domain, "states_for_tracker_history"),
    (Domain, "get_active_state"),
    (Domain, "_get_prev_action_sub_state"),
    (Domain, "_remove_rule_only_features"),
    (Domain, "_substitute_rule_only_user_input"),
    (Domain, "_clean_state"),
)


# The tracker's state besides its events and slots, as `DialogueStateTracker._reset` lists it.
TRACKER_STATE = (
    "_paused",
    "followup_action",
    "latest_action",
    "latest_message",
    "latest_bot_utterance",
    "active_loop",
)
# What `init_copy` gives the copy (model and assistant ids left unset, as Rasa's copy leaves
# them), and the events and slots taken over.
TRACKER_IDENTITY = {
    "_max_event_history",
    "events",
    "sender_id",
    "slots",
    "sender_source",
    "is_rule_tracker",
    "model_id",
    "assistant_id",
}


def copy_tracker(tracker: DialogueStateTracker, with_events: bool = True) -> DialogueStateTracker:
    """`tracker.copy()`: a tracker with the same events and state, built without a replay.
    Like Rasa's copy it is a fresh tracker as `init_copy` makes it (no model or assistant id),
    whose slots are copied once, with their values (`init_copy` copies them, then resets them).
    Without events: the same state and no event (for what reads only the state)."""
    duplicate = DialogueStateTracker(
        tracker.sender_id or DEFAULT_SENDER_ID,
        (),
        tracker._max_event_history,
        is_rule_tracker=tracker.is_rule_tracker,
    )
    duplicate.events = deque(tracker.events if with_events else (), tracker.events.maxlen)
    duplicate.slots = {name: copy.copy(slot) for name, slot in tracker.slots.items()}
    for name in TRACKER_STATE:
        value = getattr(tracker, name)
        # The dictionaries are changed in place by later events (a loop's interruption):
        setattr(duplicate, name, dict(value) if isinstance(value, dict) else value)
    return duplicate


def check_rasa_api() -> None:
    """Fails when this Rasa lacks a method the folds reproduce or call, or when its tracker has
    attributes `copy_tracker` does not know (written for 3.6)."""
    for owner, name in RASA_API:
        require_method(owner, name)
    attributes = set(vars(DialogueStateTracker("probe", [])))
    if attributes != TRACKER_IDENTITY | set(TRACKER_STATE):
        raise RuntimeError(
            f"DialogueStateTracker's attributes are now {sorted(attributes)}: the copy in "
            f"bot.dialogue.history was written for Rasa 3.6 and must be revised."
        )


@dataclass
class _AppliedFold:
    """`DialogueStateTracker.applied_events` after its first `consumed` events."""

    consumed: int
    last_event: Event | None
    loop_names: frozenset[str]
    applied: list[Event]


def _begins_with(applied: list[Event], consumed: int, last: Event | None) -> bool:
    """Whether `applied` still begins with the `consumed` events a fold read, `last` the last.
    Applied events change only by appends and deletions (a revert, a form's turn undone back to
    its previous execution, a restart), and each event object is in the list once: the last one
    read still at its index means nothing at or before it was deleted."""
    return len(applied) >= consumed and (not consumed or applied[consumed - 1] is last)


@dataclass
class _Checkpoint:
    """What a states fold was at a turn's start: enough to go on from there. Its replay tracker
    has the state without the events: the state step reads a tracker's state (latest message
    and action, slots, active loop), never its events, and the states are the fold's first
    `states_kept` (a fold's list only grows until it is resumed from a checkpoint)."""

    consumed: int
    last_applied: Event | None
    replay: DialogueStateTracker
    states_kept: int
    last_ml_action_sub_state: dict[str, Any] | None
    turn_was_hidden: bool

    def continues(self, applied: list[Event]) -> bool:
        """Whether `applied` still begins with the events consumed up to here."""
        return _begins_with(applied, self.consumed, self.last_applied)


@dataclass
class _StatesFold:
    """`Domain.states_for_tracker_history` after its first `consumed` applied events (the
    state of the final tracker, which changes with the next event, is never kept)."""

    consumed: int
    last_applied: Event | None
    replay: DialogueStateTracker
    states: list[State] = field(default_factory=list)
    last_ml_action_sub_state: dict[str, Any] | None = None
    turn_was_hidden: bool = False
    checkpoints: list[_Checkpoint] = field(default_factory=list)  # the last CHECKPOINTS turn starts

    def continues(self, applied: list[Event]) -> bool:
        """Whether `applied` still begins with the events this fold consumed."""
        return _begins_with(applied, self.consumed, self.last_applied)

    def checkpoint(self) -> None:
        """Keeps what the fold is now (at a turn's start), the last CHECKPOINTS of them."""
        self.checkpoints.append(
            _Checkpoint(
                self.consumed,
                self.last_applied,
                copy_tracker(self.replay, with_events=False),
                len(self.states),
                self.last_ml_action_sub_state,
                self.turn_was_hidden,
            )
        )
        del self.checkpoints[:-CHECKPOINTS]

    def resumed(self, applied: list[Event]) -> "_StatesFold | None":
        """The fold from the latest checkpoint `applied` still begins with (kept, with the ones
        before it, for the next resume), or None."""
        for index in range(len(self.checkpoints) - 1, -1, -1):
            saved = self.checkpoints[index]
            if saved.continues(applied):
                return _StatesFold(
                    saved.consumed,
                    saved.last_applied,
                    copy_tracker(saved.replay, with_events=False),
                    self.states[: saved.states_kept],
                    saved.last_ml_action_sub_state,
                    saved.turn_was_hidden,
                    self.checkpoints[: index + 1],
                )
        return None


@dataclass
class _Folds:
    events: Any  # the tracker's event deque the folds were computed from
    applied: _AppliedFold | None = None
    states: dict[tuple[Any, ...], _StatesFold] = field(default_factory=dict)


def _folds(tracker: DialogueStateTracker) -> _Folds | None:
    """The tracker's folds, reset when its events were replaced; None for a bounded history."""
    if tracker.events.maxlen is not None:
        return None
    folds = tracker.__dict__.get(_ATTRIBUTE)
    if folds is None or folds.events is not tracker.events:
        folds = _Folds(tracker.events)
        tracker.__dict__[_ATTRIBUTE] = folds
    return folds


def _loop_names(events: Any) -> frozenset[str]:
    return frozenset(e.name for e in events if isinstance(e, ActiveLoop) and e.name)


def _apply(
    tracker: DialogueStateTracker,
    loop_names: frozenset[str],
    events: Any,
    applied: list[Event],
) -> None:
    """The body of Rasa 3.6's `DialogueStateTracker.applied_events`, over `events`."""
    for event in events:
        if isinstance(event, (Restarted, SessionStarted)):
            applied.clear()
        elif isinstance(event, ActionReverted):
            tracker._undo_till_previous(ActionExecuted, applied)
        elif isinstance(event, UserUtteranceReverted):
            tracker._undo_till_previous(UserUttered, applied)
            tracker._undo_till_previous(ActionExecuted, applied)
        elif (
            isinstance(event, ActionExecuted)
            and event.action_name in loop_names
            and not tracker._first_loop_execution_or_unhappy_path(event.action_name, applied)
        ):
            tracker._undo_till_previous_loop_execution(event.action_name, applied)
        else:
            applied.append(event)


def applied_events(tracker: DialogueStateTracker) -> list[Event]:
    """`tracker.applied_events()`, continuing the last call's fold over the new events."""
    folds = _folds(tracker)
    if folds is None:
        return _rasa_applied_events(tracker)
    events = tracker.events
    fold = folds.applied
    if fold is not None:
        consumed = fold.consumed
        if len(events) < consumed or (consumed and events[consumed - 1] is not fold.last_event):
            fold = None
    if fold is not None:
        new = list(_islice(events, fold.consumed))
        if not _loop_names(new) <= fold.loop_names:
            fold = None  # a loop name the earlier events were judged without
    if fold is None:
        new = list(events)
        fold = _AppliedFold(0, None, _loop_names(new), [])
    _apply(tracker, fold.loop_names, new, fold.applied)
    fold.consumed = len(events)
    fold.last_event = events[-1] if events else None
    folds.applied = fold
    return list(fold.applied)


def _islice(events: Any, start: int) -> Any:
    """events[start:] of a deque, walking from its right end (the new events are few)."""
    count = len(events) - start
    tail = []
    for index, event in enumerate(reversed(events)):
        if index >= count:
            break
        tail.append(event)
    tail.reverse()
    return tail


def _state_step(
    domain: Domain,
    replay: DialogueStateTracker,
    hide_rule_turn: bool,
    fold: _StatesFold,
    omit_unset_slots: bool,
    ignore_rule_only_turns: bool,
    rule_only_data: dict[str, Any] | None,
) -> State | None:
    """One iteration of Rasa 3.6's `Domain.states_for_tracker_history` loop: updates the fold's
    running variables and returns the state to append (None when the turn is hidden)."""
    if ignore_rule_only_turns:
        if not fold.turn_was_hidden:
            fold.last_ml_action_sub_state = domain._get_prev_action_sub_state(replay)
        if not replay.followup_action and replay.latest_action_name != replay.active_loop_name:
            fold.turn_was_hidden = hide_rule_turn
        if fold.turn_was_hidden:
            return None
    state = domain.get_active_state(replay, omit_unset_slots=omit_unset_slots)
    if ignore_rule_only_turns:
        domain._remove_rule_only_features(state, rule_only_data)
        if fold.states:
            domain._substitute_rule_only_user_input(state, fold.states[-1])
        if fold.last_ml_action_sub_state:
            state[PREVIOUS_ACTION] = fold.last_ml_action_sub_state
    return domain._clean_state(state)


def past_states(
    tracker: DialogueStateTracker,
    domain: Domain,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: dict[str, Any] | None = None,
) -> list[State]:
    """`tracker.past_states(...)`, continuing the last call's fold over the new events."""
    folds = _folds(tracker)
    if folds is None:
        return tracker.past_states(domain, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    applied = applied_events(tracker)
    key = (id(domain), omit_unset_slots, ignore_rule_only_turns, repr(rule_only_data))
    fold = folds.states.get(key)
    if fold is not None and not fold.continues(applied):
        # An event the states were built from has been reverted or undone: from the latest
        # turn start before it, or from the first event.
        fold = fold.resumed(applied)
    if fold is None:
        fold = _StatesFold(0, None, tracker.init_copy())
    step = (omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    for event in applied[fold.consumed :]:
        if isinstance(event, ActionExecuted):
            state = _state_step(domain, fold.replay, event.hide_rule_turn, fold, *step)
            if state is not None:
                fold.states.append(state)
        fold.replay.update(event)
        fold.consumed += 1
        fold.last_applied = event
        if isinstance(event, ActionExecuted) and event.action_name == ACTION_LISTEN_NAME:
            fold.checkpoint()
    folds.states[key] = fold
    # The final tracker's state: computed on a copy of the running variables, never kept.
    final = _StatesFold(
        fold.consumed,
        fold.last_applied,
        fold.replay,
        fold.states,
        fold.last_ml_action_sub_state,
        fold.turn_was_hidden,
    )
    state = _state_step(domain, fold.replay, False, final, *step)
    return fold.states + [state] if state is not None else list(fold.states)

"""The per-event-type action-response check gives the whole schema's verdict, and Rasa's error."""

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    AllSlotsReset,
    BotUttered,
    FollowupAction,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
)

from bot.runtime.action_responses import (
    ActionResponseCheck,
    action_response_check,
    validate_action_result_with,
)

CHECK = action_response_check()
EVENTS = [
    event.as_dict()
    for event in (
        SlotSet("email", "a@example.com"),
        SlotSet("requested_slot", None),
        ActiveLoop("password_reset_form"),
        ActiveLoop(None),
        BotUttered("Which email address?", {"buttons": []}),
        ActionExecuted("action_listen"),
        FollowupAction("action_handover"),
        UserUttered("hello", {"name": "greet", "confidence": 0.9}, []),
        AllSlotsReset(),
        Restarted(),
        SessionStarted(),
    )
]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


@st.composite
def responses(draw: Any) -> Any:
    """A valid response of real events, then perhaps a few values swapped for any JSON."""
    events = draw(st.lists(st.sampled_from(EVENTS), max_size=4))
    response: Any = {"events": copy.deepcopy(events), "responses": [{"text": "hi", "buttons": []}]}
    for _ in range(draw(st.integers(0, 3))):
        target = response
        path = draw(st.lists(st.integers(0, 5), min_size=0, max_size=3))
        for step in path:
            if isinstance(target, dict) and target:
                key = sorted(target)[step % len(target)]
                if not isinstance(target[key], (dict, list)):
                    break
                target = target[key]
            elif isinstance(target, list) and target:
                if not isinstance(target[step % len(target)], (dict, list)):
                    break
                target = target[step % len(target)]
        if isinstance(target, dict):
            keys = sorted(target) + ["event", "name", "value", "events", "responses"]
            names = st.sampled_from(["slot", "user", "bot", "restart"])
            target[draw(st.sampled_from(keys))] = draw(JSON | names)
        elif isinstance(target, list):
            target.append(draw(JSON))
    return response


@settings(max_examples=400, deadline=None)
@given(responses())
def test_the_verdict_is_the_whole_schemas(response: Any) -> None:
    assert CHECK.is_valid(response) is CHECK.whole.is_valid(response)


@pytest.mark.parametrize(
    "response",
    [
        {"events": EVENTS, "responses": []},
        {},
        {"events": None},
        {"events": [{"event": "no_such_event"}]},
        {"events": [{"name": "email", "value": 1}]},
        {"events": [{"event": ["slot"], "name": "email"}]},
        {"events": ["slot"]},
        {"events": [{"event": "slot", "name": 42}], "responses": "not a list"},
        [],
    ],
)
def test_edge_cases_get_the_whole_schemas_verdict(response: Any) -> None:
    assert CHECK.is_valid(response) is CHECK.whole.is_valid(response)


def test_a_refused_response_raises_rasas_own_error() -> None:
    invalid = {"events": [{"event": "slot", "name": 42}], "responses": "not a list"}
    ours = validate_action_result_with(CHECK)
    action = RemoteAction("action_ask_email", None)
    assert ours(action, {"events": EVENTS[:3], "responses": []}) is True
    with pytest.raises(ValidationError) as raised:
        ours(action, invalid)
    with pytest.raises(ValidationError) as rasas:
        RemoteAction._validate_action_result(action, invalid)
    assert raised.value.message == rasas.value.message


def test_a_schema_without_named_event_types_stops_the_start() -> None:
    schema = copy.deepcopy(RemoteAction.action_response_format_spec())
    del schema["properties"]["events"]["items"]["oneOf"][3]["properties"]["event"]
    with pytest.raises(RuntimeError, match="no longer tells its event types apart"):
        ActionResponseCheck(schema)

"""bot.runtime.graph_runner: the trained graph's outputs are Rasa's, node for node, without dask."""

import asyncio
from pathlib import Path

import pytest
from rasa.core import processor
from rasa.core.agent import Agent
from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import GraphNode, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.runtime import graph_runner
from bot.runtime.graph_runner import SequentialGraphRunner, execution_order

MESSAGES = (
    "I forgot my password",
    "я не помню пароль от аккаунта",
    "j'ai oublié mon mot de passe",
    "the reset email doesn't arrive",
    "zabyl parol ot akkaunta",
    "my email is someone@example.com",
    "I deleted my account 5 days ago",
    "yes",
)


@pytest.fixture(autouse=True)
def pristine_rasa(monkeypatch) -> None:
    monkeypatch.setattr(processor, "DaskGraphRunner", DaskGraphRunner)


@pytest.fixture(scope="module")
def agent(model: Path) -> Agent:
    return Agent.load(str(model))


def _sequential(runner: DaskGraphRunner) -> SequentialGraphRunner:
    """A SequentialGraphRunner over the same loaded nodes as Rasa's `runner`."""
    sequential = SequentialGraphRunner.__new__(SequentialGraphRunner)
    sequential.__dict__.update(runner.__dict__)
    sequential._orders = {}
    return sequential


def test_the_processor_loads_models_with_it() -> None:
    graph_runner.install()
    assert processor.DaskGraphRunner is SequentialGraphRunner


def test_parses_and_predictions_are_rasas(agent: Agent, monkeypatch) -> None:
    rasas_runner = agent.processor.graph_runner
    assert type(rasas_runner) is DaskGraphRunner

    def outputs() -> tuple[list, list]:
        parses = [asyncio.run(agent.parse_message(text)) for text in MESSAGES]
        tracker = DialogueStateTracker.from_events(
            "graph-runner",
            [ActionExecuted("action_listen")],
            agent.domain.slots,
        )
        predictions = []
        for parse in parses:
            tracker.update(UserUttered(parse["text"], parse["intent"], parse["entities"], parse))
            tracker.update(
                SlotSet("language", next(e["value"] for e in parse["entities"] if e["entity"] == "language"))
            )
            prediction = agent.processor._predict_next_with_tracker(tracker)
            predictions.append(
                (prediction.max_confidence_index, prediction.policy_name, prediction.probabilities)
            )
            tracker.update(
                ActionExecuted(agent.domain.action_names_or_texts[prediction.max_confidence_index])
            )
        return parses, predictions

    rasas = outputs()
    monkeypatch.setattr(agent.processor, "graph_runner", _sequential(rasas_runner))
    assert outputs() == rasas


def _node(needs: dict[str, str]) -> SchemaNode:
    return SchemaNode(needs=needs, uses=GraphNode, constructor_name="create", fn="run", config={})


def test_each_node_comes_after_what_it_needs_and_runs_once() -> None:
    schema = GraphSchema(
        {
            "a": _node({"x": "__input__"}),
            "b": _node({"x": "a"}),
            "c": _node({"x": "a", "y": "b"}),
            "unused": _node({}),
        }
    )
    assert execution_order(schema, ["c", "b"]) == [("a", ["__input__"]), ("b", ["a"]), ("c", ["a", "b"])]
    cyclic = GraphSchema({"a": _node({"x": "b"}), "b": _node({"x": "a"})})
    with pytest.raises(GraphRunError, match="cycle"):
        execution_order(cyclic, ["a"])

"""The model's graph run in a fixed order worked out once, instead of through dask on every call.

Rasa's processor runs the trained graph several times a turn: the NLU part for the message, then
the policies once for each action it predicts. Its `DaskGraphRunner` rebuilds the minimal graph
for the targets, builds a dask task graph from it, and has dask's synchronous scheduler order and
run the tasks, at every call. py-spy on a worker at 20 customers (2026-12-02) put dask's own
frames at 10.5% of the event loop's samples, about 1.2 ms of CPU per turn, for graphs that are
the same on every call (a chain of NLU components; independent policies feeding the ensemble).

`SequentialGraphRunner` is Rasa's runner with only `run` changed: for each set of targets it
works out once which nodes they need and an order in which every node comes after the nodes it
needs, then calls the nodes (Rasa's own `GraphNode`s, with their hooks) in that order, handing
each the outputs of its parents as dask does: `(node name, output)` pairs, an input given to
`run` as `(input name, value)`, and a name nobody provided as the bare name (which `GraphNode`
reports). Each node runs once per call, as under dask; a `RuntimeError` is wrapped in
`GraphRunError` as Rasa does. tests/bot/runtime/test_graph_runner.py checks the outputs against
Rasa's runner on the trained model.
"""

from typing import Any

from rasa.core import processor
from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import GraphSchema
from rasa.engine.runner.dask import DaskGraphRunner

from bot.runtime.replace import replace_method


def execution_order(schema: GraphSchema, targets: list[str]) -> list[tuple[str, list[str]]]:
    """The nodes `targets` need, each after the nodes it needs, with the names of its parents
    (nodes or inputs) in the order `GraphNode` receives them."""
    order: list[tuple[str, list[str]]] = []
    placed: set[str] = set()

    def place(name: str, path: frozenset[str]) -> None:
        if name in placed or name not in schema.nodes:
            return  # done already, or an input: given to `run`, not computed
        if name in path:
            raise GraphRunError(f"The graph has a cycle through node '{name}'.")
        parents = list(schema.nodes[name].needs.values())
        for parent in parents:
            place(parent, path | {name})
        placed.add(name)
        order.append((name, parents))

    for target in targets:
        place(target, frozenset())
    return order


class SequentialGraphRunner(DaskGraphRunner):
    """Rasa's graph runner, running the nodes in an order computed once per set of targets."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._orders: dict[tuple[str, ...], list[tuple[str, list[str]]]] = {}

    def run(self, inputs: dict[str, Any] | None = None, targets: list[str] | None = None) -> dict[str, Any]:
        """Runs the nodes `targets` need and returns the targets' outputs by name."""
        run_targets = list(targets if targets else self._graph_schema.target_names)
        key = tuple(run_targets)
        order = self._orders.get(key)
        if order is None:
            order = self._orders[key] = execution_order(self._graph_schema, run_targets)
        results: dict[str, Any] = {}
        if inputs:
            run_nodes = {name for name, _ in order}
            for name, value in inputs.items():
                if isinstance(value, str) and (value in run_nodes or value in results):
                    raise GraphRunError(
                        f"Input value '{value}' clashes with a node name. Make sure that none of "
                        f"the input names passed to the `run` method are the same as node names "
                        f"in the graph schema."
                    )
                results[name] = (name, value)
        try:
            for name, parents in order:
                results[name] = self._instantiated_nodes[name](*(results.get(p, p) for p in parents))
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e
        return dict(results[target] for target in run_targets)


def install() -> None:
    """Makes the processor load models with `SequentialGraphRunner`."""
    replace_method(processor, "DaskGraphRunner", SequentialGraphRunner)

"""The hostile stage's figures and its row, on hand-made turns."""

from ops.bench.load import LoadResult, Turn
from ops.bench.measures import hostile_figures
from ops.bench.report import hostile_lines, hostile_within


def turns(*seconds: float, ok: bool = True) -> list:
    return [Turn("hi", 200 if ok else 503, s, 1 if ok else 0) for s in seconds]


def test_p99s_alone_and_beside_the_hostile_customer_and_their_ratio() -> None:
    alone = LoadResult({"a": turns(0.1, 0.2), "b": turns(0.2, 0.2)}, seconds=1.0)
    beside = LoadResult({"c": turns(0.1, 0.3), "d": turns(0.2, 0.3)}, seconds=1.0)
    figures = hostile_figures(alone, beside, turns(2.0, 4.0) + turns(9.0, ok=False))
    assert figures["p99_ms"] == 200.0 and figures["p99_beside_ms"] == 300.0
    assert figures["p99_ratio"] == 1.5
    assert figures["errors"] == 0
    assert (figures["huge_messages"], figures["huge_answered"]) == (3, 2)
    assert figures["huge_p50_ms"] == 4000.0  # the median of every huge turn, failed ones included


def test_failed_ordinary_turns_count_as_errors_and_stay_out_of_the_latency() -> None:
    alone = LoadResult({"a": turns(0.1, 0.1)}, seconds=1.0)
    beside = LoadResult({"b": turns(0.1) + turns(30.0, ok=False)}, seconds=1.0)
    figures = hostile_figures(alone, beside, turns(1.0))
    assert figures["errors"] == 1 and figures["p99_ratio"] == 1.0


def test_the_target_needs_the_ratio_no_error_and_every_huge_message_answered() -> None:
    met = {"p99_ratio": 1.5, "errors": 0, "huge_messages": 4, "huge_answered": 4}
    assert hostile_within(met, 1.5)
    assert not hostile_within({**met, "p99_ratio": 1.51}, 1.5)
    assert not hostile_within({**met, "errors": 1}, 1.5)
    assert not hostile_within({**met, "huge_answered": 3}, 1.5)
    assert not hostile_within({**met, "p99_ratio": None}, 1.5)


def test_the_row_prints_every_figure() -> None:
    figures = {
        "customers": 10,
        "p50_ms": 310.0,
        "p50_beside_ms": 320.5,
        "p99_ms": 900.0,
        "p99_beside_ms": 1200.0,
        "p99_ratio": 1.33,
        "errors": 0,
        "huge_messages": 12,
        "huge_answered": 12,
        "huge_p50_ms": 2100.0,
    }
    row = hostile_lines(figures)[-1]
    assert row.split() == [
        "hostile",
        "10",
        "310.0",
        "320.5",
        "900.0",
        "1200.0",
        "1.33x",
        "0",
        "12/12",
        "2100.0",
    ]

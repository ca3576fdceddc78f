"""The bench's arithmetic and its transcript-order check, on hand-made turns."""

import os
import time

from bot.languages import LANGUAGES
from ops.bench.load import LoadResult, Turn
from ops.bench.measures import (
    long_conversation_figures,
    order_problem,
    percentile,
    ratio,
    summarise,
    tree_cpu_seconds,
)
from ops.bench.report import cpu_total
from ops.bench.scenarios import OURS, conversations, long_conversation


def turn(text: str, ok: bool = True, seconds: float = 0.1) -> Turn:
    return Turn(text, 200 if ok else 502, seconds, 1 if ok else 0)


def test_percentiles_interpolate_between_ranks() -> None:
    values = [10.0, 20.0, 30.0, 40.0, 50.0]
    assert percentile(values, 50) == 30.0
    assert percentile(values, 95) == 48.0
    assert percentile([], 99) == 0.0


def test_summary_counts_failed_turns_as_errors_and_leaves_them_out_of_latency() -> None:
    result = LoadResult(
        {"a": [turn("hi", seconds=0.1), turn("x", ok=False, seconds=9.0)], "b": [turn("hi", seconds=0.3)]},
        seconds=2.0,
    )
    figures = summarise(result)
    assert figures["errors"] == 1 and figures["turns"] == 3
    assert figures["p99_ms"] < 300.1 and figures["turns_per_s"] == 1.0


def test_a_transcript_in_order_passes_even_with_repeated_texts() -> None:
    sent = [turn("hi"), turn("yes"), turn("a@b.c"), turn("yes")]
    assert order_problem(sent, ["hi", "yes", "a@b.c", "yes"]) is None


def test_a_failed_turn_may_or_may_not_be_stored() -> None:
    sent = [turn("hi"), turn("yes", ok=False), turn("thanks")]
    assert order_problem(sent, ["hi", "yes", "thanks"]) is None
    assert order_problem(sent, ["hi", "thanks"]) is None


def test_missing_duplicated_or_reordered_turns_are_reported() -> None:
    sent = [turn("hi"), turn("yes"), turn("thanks")]
    assert "missing" in order_problem(sent, ["hi", "thanks"])
    assert "twice" in order_problem(sent, ["hi", "yes", "thanks", "thanks"])
    assert "out of order" in order_problem(sent, ["yes", "hi", "thanks"])


def test_a_failed_turn_does_not_take_the_place_of_a_later_one_with_the_same_text() -> None:
    sent = [turn("hi"), turn("yes", ok=False), turn("yes", ok=False), turn("yes"), turn("yes")]
    assert order_problem(sent, ["hi", "yes", "yes"]) is None
    assert order_problem(sent, ["hi", "yes"]) is not None  # two answered "yes", one stored


def test_ratios_and_scripted_conversations() -> None:
    assert ratio(50, 100) == 0.5 and ratio(1, 0) is None
    items = conversations(OURS, 4, "t")
    assert len({c.sender for c in items}) == 4 and len({c.email for c in items}) == 4
    assert {c.language for c in items} == set(LANGUAGES)
    assert all(any(c.email in text for text in c.turns) and len(c.turns) == 6 for c in items)


def test_the_long_conversation_compares_its_last_eight_turns_with_its_first_eight() -> None:
    latencies = [20.0] * 8 + [99.0] * 64 + [30.0] * 8
    cpu = [10.0] * 8 + [50.0] * 64 + [12.0] * 8
    figures = long_conversation_figures(latencies, cpu, errors=0)
    assert (figures["first_p50_ms"], figures["last_p50_ms"], figures["latency_x"]) == (20.0, 30.0, 1.5)
    assert (figures["first_cpu_ms"], figures["last_cpu_ms"], figures["cpu_x"]) == (10.0, 12.0, 1.2)
    assert figures["turns"] == 80


def test_the_long_conversation_cycles_every_flow_as_one_customer() -> None:
    long = long_conversation(OURS, "bench")
    assert len(long.turns) == 80 and long.email in " ".join(long.turns)
    assert long.turns[:6] == [t.format(email=long.email) for t in OURS[0][1]]
    assert long.turns[6:12] == [t.format(email=long.email) for t in OURS[1][1]]


def test_cpu_per_turn_of_a_setup_is_the_sum_over_its_services() -> None:
    setup = {"levels": {"20": {"cpu_ms_per_turn": {"accounts": 1.1, "actions": 1.5, "rasa": 11.9}}}}
    assert round(cpu_total(setup), 1) == 14.5


def test_precise_cpu_counts_nanoseconds_of_this_process_threads() -> None:
    before, process_before = tree_cpu_seconds(os.getpid(), precise=True), time.process_time()
    total = 0
    while time.process_time() - process_before < 0.05:  # burn a few ticks' worth of CPU
        total += 1
    used, process_used = (
        tree_cpu_seconds(os.getpid(), precise=True) - before,
        time.process_time() - process_before,
    )
    assert 0.5 * process_used <= used <= 2 * process_used
    assert tree_cpu_seconds(os.getpid()) > 0  # the clock-tick count, for load runs

"""Figures from a load run, a server's memory, and a stored transcript's order."""

import json
import os
import urllib.parse
import urllib.request
from collections.abc import Sequence
from functools import cache
from typing import Any

from ops.bench.load import LoadResult, Turn


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), linear between ranks; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarise(result: LoadResult) -> dict[str, float]:
    """p50/p95/p99 latency (ms) of answered turns, turns per second, errors."""
    turns = result.all_turns()
    answered = [t.seconds * 1000 for t in turns if t.ok]
    return {
        "turns": len(turns),
        "p50_ms": round(percentile(answered, 50), 1),
        "p95_ms": round(percentile(answered, 95), 1),
        "p99_ms": round(percentile(answered, 99), 1),
        "turns_per_s": round(len(answered) / result.seconds, 2) if result.seconds else 0.0,
        "errors": sum(not t.ok for t in turns),
    }


def hostile_figures(alone: LoadResult, beside: LoadResult, hostile: Sequence[Turn]) -> dict[str, Any]:
    """The same load of ordinary customers without (`alone`) and beside one customer sending
    huge messages (`hostile`, that customer's turns): the ordinary customers' p99 both times and
    its ratio, their errors, and what became of the huge messages."""
    quiet, loud = summarise(alone), summarise(beside)
    return {
        "p50_ms": quiet["p50_ms"],
        "p99_ms": quiet["p99_ms"],
        "p50_beside_ms": loud["p50_ms"],
        "p99_beside_ms": loud["p99_ms"],
        "p99_ratio": ratio(loud["p99_ms"], quiet["p99_ms"]),
        "errors": quiet["errors"] + loud["errors"],
        "huge_messages": len(hostile),
        "huge_answered": sum(t.ok for t in hostile),
        "huge_p50_ms": round(percentile([t.seconds * 1000 for t in hostile], 50), 1),
    }


def cpu_times() -> list[int]:
    """The machine's CPU counters from /proc/stat (user, nice, system, idle, iowait, irq, softirq,
    steal, ...), in clock ticks since boot."""
    with open("/proc/stat", encoding="ascii") as stat:
        return [int(v) for v in stat.readline().split()[1:]]


def steal_percent(before: Sequence[int], after: Sequence[int]) -> float:
    """Share of CPU time the hypervisor gave to other machines between two readings: a run
    taken while it was high was measured on a slower machine than its neighbours."""
    deltas = [b - a for a, b in zip(before, after, strict=True)]
    total = sum(deltas[:8]) or 1
    return round(100 * deltas[7] / total, 1)


def tree_cpu_seconds(root: int, precise: bool = False) -> float:
    """CPU time (user + system, seconds) used so far by process `root` and its descendants,
    including the children it has already reaped. A process tree rather than a process group:
    PostgreSQL's backends each start a session of their own.

    The kernel counts a process's CPU in clock ticks (10 ms): fine over a load run, too coarse
    for a few turns of 10-15 ms each (eight turns are ~10 ticks, so one tick more or less moves
    a ratio by 10%). `precise` counts each process's live threads' time on a CPU instead, in
    nanoseconds (/proc/<pid>/task/<tid>/schedstat); it misses threads that have exited, which a
    server's long-lived event loop and thread pools do not do between two readings a few seconds
    apart."""
    children: dict[int, list[int]] = {}
    own: dict[int, float] = {}
    reaped = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                fields = stat.read().rpartition(")")[2].split()  # state, ppid, pgrp, ...
        except OSError:
            continue
        pid = int(entry)
        children.setdefault(int(fields[1]), []).append(pid)
        own[pid] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
        if pid == root:
            reaped = (int(fields[13]) + int(fields[14])) / ticks  # cutime, cstime
    total, pending = reaped, [root]
    while pending:
        pid = pending.pop()
        total += (_threads_cpu_seconds(pid) if precise else None) or own.get(pid, 0.0)
        pending.extend(children.get(pid, []))
    return total


def _threads_cpu_seconds(pid: int) -> float | None:
    """Time on a CPU of the process's live threads, from their schedstat (None: not readable)."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    total = 0
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat", encoding="ascii") as schedstat:
                total += int(schedstat.read().split()[0])
        except FileNotFoundError:
            continue  # the thread ended since the listing
        except (OSError, ValueError, IndexError):
            return None
    return total / 1e9


def peak_rss_mb(pid: int) -> float | None:
    """The process's peak resident set (VmHWM) in MB, None when it has gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def stored_events(rasa_url: str, token: str, sender: str) -> list[dict]:
    """The events Rasa's tracker store holds for `sender`, in stored order (HTTP API)."""
    url = (
        f"{rasa_url}/conversations/{urllib.parse.quote(sender, safe='')}/tracker"
        f"?token={urllib.parse.quote(token)}"
    )
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response).get("events", [])


def stored_user_texts(rasa_url: str, token: str, sender: str) -> list[str | None]:
    """The user messages stored for `sender`, in stored order."""
    return [e.get("text") for e in stored_events(rasa_url, token, sender) if e.get("event") == "user"]


def order_problem(sent: Sequence[Turn], stored: Sequence[str | None]) -> str | None:
    """Why `stored` is not `sent` in order without duplicates, or None when it is.

    A turn that failed may or may not have been stored (a worker may die after storing it); an
    answered turn must be there, and nothing may be there twice or out of order. So `stored` must
    be `sent` with some failed turns left out; with repeated texts ("yes" twice) more than one
    alignment can exist, and any one will do.
    """

    @cache
    def fits(i: int, j: int) -> bool:
        if i == len(sent):
            return j == len(stored)
        if j < len(stored) and stored[j] == sent[i].text and fits(i + 1, j + 1):
            return True
        return not sent[i].ok and fits(i + 1, j)

    if fits(0, 0):
        return None
    if len(stored) > len(sent):
        return f"{len(stored) - len(sent)} more message(s) stored than sent: stored twice"
    missing = [t.text for t in sent if t.ok and t.text not in stored]
    if missing:
        return f"answered turn {missing[0]!r} missing"
    return "stored messages out of order or stored twice"


def ratio(ours: float, reference: float) -> float | None:
    """ours / reference, None when the reference is 0."""
    return round(ours / reference, 2) if reference else None


def long_conversation_figures(
    latencies_ms: Sequence[float], cpu_ms: Sequence[float], errors: int, window: int = 8
) -> dict[str, Any]:
    """The cost of the last `window` turns of one long conversation against its first
    `window`: median latency, mean CPU of the Rasa process(es) per turn, and their ratios.
    CPU is the steadier of the two on a shared machine (another process's burst lengthens a
    turn's wall time, not its CPU time); both are printed."""
    first, last = latencies_ms[:window], latencies_ms[-window:]
    first_cpu, last_cpu = cpu_ms[:window], cpu_ms[-window:]
    figures: dict[str, Any] = {
        "turns": len(latencies_ms),
        "errors": errors,
        "first_p50_ms": round(percentile(first, 50), 1),
        "last_p50_ms": round(percentile(last, 50), 1),
        "first_cpu_ms": round(sum(first_cpu) / max(1, len(first_cpu)), 1),
        "last_cpu_ms": round(sum(last_cpu) / max(1, len(last_cpu)), 1),
    }
    figures["latency_x"] = ratio(figures["last_p50_ms"], figures["first_p50_ms"])
    figures["cpu_x"] = ratio(figures["last_cpu_ms"], figures["first_cpu_ms"])
    return figures

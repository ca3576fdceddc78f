"""The fault stages of the bench, on the scaled topology with two workers.

Each stage plays conversations under load while something breaks, then says what happened:
how many turns failed and how (a clean failure is an HTTP error or an empty reply, never a
hang), whether every conversation's next message worked once the fault was over, and whether
every stored transcript still holds its turns once each and in order.
"""

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from ops.bench.load import LoadResult, play, say_once
from ops.bench.scenarios import OURS, conversations
from ops.processes import Supervisor
from ops.scaled.topology import Topology

DOWN_SECONDS = 5.0


def _kill_worker(supervisor: Supervisor, worker: str) -> Callable[[], str]:
    def disturb() -> str:
        supervisor.stop_service(worker, hard=True)
        return f"{worker} killed (SIGKILL) under load"

    return disturb


def _restart(supervisor: Supervisor, name: str) -> Callable[[], str]:
    def disturb() -> str:
        supervisor.stop_service(name)
        time.sleep(DOWN_SECONDS)
        started = time.monotonic()
        supervisor.start_service(name)
        return (
            f"{name} stopped for {DOWN_SECONDS:.0f} s under load, then started again "
            f"(ready in {time.monotonic() - started:.1f} s)"
        )

    return disturb


async def _stage(rest: str, prefix: str, disturb: Callable[[], str]) -> dict[str, Any]:
    items = conversations(OURS, 40, prefix)
    load = asyncio.create_task(play(rest, items, 10))
    await asyncio.sleep(2)
    fault_at = time.monotonic()
    what = await asyncio.to_thread(disturb)
    result: LoadResult = await load
    failed = [t for t in result.all_turns() if not t.ok]
    details = [
        {
            "sender": sender,
            "turn": index,
            "status": t.status,
            "seconds": round(t.seconds, 2),
            "sent_after_fault_s": round(t.started - fault_at, 2),
        }
        for sender, turns in result.turns.items()
        for index, t in enumerate(turns)
        if not t.ok or t.seconds > 5
    ]
    kinds = Counter(
        "no answer" if t.status == 0 else f"HTTP {t.status}" if t.status != 200 else "empty reply"
        for t in failed
    )
    slowest = max((t.seconds for t in failed), default=0.0)
    # Afterwards every conversation must work again: one more message each.
    afterwards = await asyncio.gather(*(say_once(rest, sender, "thanks") for sender in result.turns))
    for sender, turn in zip(result.turns, afterwards, strict=True):
        result.turns[sender].append(turn)
    return {
        "what": what,
        "result": result,
        "turns": len(result.all_turns()) - len(afterwards),
        "failed": len(failed),
        "failures": dict(kinds),
        "failed_or_slow_turns": details,
        "slowest_failure_s": round(slowest, 1),
        "next_message_ok": sum(t.ok for t in afterwards),
        "conversations": len(afterwards),
    }


def run_all(
    supervisor: Supervisor, topology: Topology, progress: Callable[[str], None], check_order: Callable
) -> list[dict[str, Any]]:
    """Worker killed, PostgreSQL restarted, Redis restarted; one report per stage."""
    env = topology.env
    rest = f"{env['RASA_URL']}/webhooks/rest/webhook"
    stages = [
        (
            "a Rasa worker dies",
            "fault-worker",
            _kill_worker(supervisor, topology.workers[0]),
            lambda: supervisor.start_service(topology.workers[0]),
        ),
        ("PostgreSQL restarts", "fault-postgres", _restart(supervisor, "postgres"), None),
        ("Redis restarts", "fault-redis", _restart(supervisor, "redis"), None),
    ]
    reports = []
    for title, prefix, disturb, repair in stages:
        progress(f"fault: {title}")
        report = asyncio.run(_stage(rest, prefix, disturb))
        order = check_order(env["RASA_URL"], env["RASA_AUTH_TOKEN"], [report.pop("result")])
        report["order_problems"] = order["problems"]
        failures = ", ".join(f"{n} {kind}" for kind, n in report["failures"].items()) or "none"
        report["stage"] = title
        report["outcome"] = (
            f"{report['what']}; {report['failed']} of {report['turns']} turns failed ({failures}; "
            f"slowest failure {report['slowest_failure_s']} s); next message worked in "
            f"{report['next_message_ok']}/{report['conversations']} conversations; "
            f"{order['conversations']} transcripts checked, {len(order['problems'])} duplicated "
            "or out of order"
        )
        reports.append(report)
        if repair:
            repair()
    return reports

"""`python -m ops.bench.console [--conversations N]`: the agents' console over a full store.

Fills a fresh tracker store with N conversations written as Rasa writes them (every tenth one
handed to a person and waiting), starts the console as `make run` does, lets it summarise the
store, then measures what an agent feels:
- page loads: the list, the handoff queue, its live rows, the queue status every page polls,
  a transcript and the dashboard (median and 95th percentile of 20 loads, warm);
- update latency: from a new hand-off committed to the tracker store to the moment the queue
  status lists it. A browser adds its polling interval on top (4 s for the status and the tab's
  count, 3 s for the queue's rows; see services/console/static/console.js).
Figures are milliseconds on this machine, whatever else it is doing: compare runs on one machine.
"""

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

from ops.environment import GENERATED
from ops.processes import Supervisor
from ops.services import console_server, python
from services.console.schema import events, open_tracker_db

PASSWORD = "violet anchor trombone 1987 sunrise"
LOADS = 20
UPDATES = 20


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _row(sender: str, event: dict[str, Any]) -> dict[str, Any]:
    return {
        "sender_id": sender,
        "type_name": event["event"],
        "timestamp": event["timestamp"],
        "intent_name": (event.get("parse_data") or {}).get("intent", {}).get("name"),
        "action_name": event.get("name") if event["event"] == "action" else None,
        "data": json.dumps(event),
    }


def conversation_events(sender: str, start: float, handed_off: bool) -> list[dict[str, Any]]:
    """One conversation as Rasa stores it: a session, two understood messages, maybe a hand-off."""
    rows: list[dict[str, Any]] = [
        {"event": "action", "timestamp": start, "name": "action_session_start"},
        {"event": "session_started", "timestamp": start},
        {"event": "action", "timestamp": start, "name": "action_listen"},
    ]
    for step, (text, intent) in enumerate(
        (("I forgot my password", "forgot_password"), ("I want to talk to a person", "request_human"))
    ):
        t = start + step + 1
        rows += [
            {
                "event": "user",
                "timestamp": t,
                "text": text,
                "input_channel": "rest",
                "metadata": {"channel": "rest"},
                "parse_data": {
                    "intent": {"name": intent, "confidence": 0.95},
                    "text": text,
                    "entities": [{"entity": "language", "value": "en", "start": 0, "end": 1}],
                },
            },
            {"event": "slot", "timestamp": t, "name": "language", "value": "en"},
            {
                "event": "action",
                "timestamp": t,
                "name": f"utter_{intent}",
                "policy": "RulePolicy",
                "confidence": 1.0,
            },
            {"event": "bot", "timestamp": t, "text": f"answer to {intent}", "metadata": {}},
            {"event": "action", "timestamp": t, "name": "action_listen"},
        ]
    if handed_off:
        t = start + 3
        rows += [
            {"event": "action", "timestamp": t, "name": "action_handoff"},
            {"event": "slot", "timestamp": t, "name": "email", "value": f"{sender}@example.com"},
            {"event": "slot", "timestamp": t, "name": "person_request", "value": "waiting"},
        ]
    return [_row(sender, event) for event in rows]


def _timed(call: Callable[[], httpx.Response], times: int) -> dict[str, float]:
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        response = call()
        samples.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    samples.sort()
    return {"median": statistics.median(samples), "p95": samples[int(len(samples) * 0.95) - 1]}


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if condition():
            return time.perf_counter() - started
        time.sleep(0.02)
    raise TimeoutError(f"timed out waiting for {what}")


def measure(conversations: int) -> dict[str, Any]:
    """Fills, starts, measures; returns the figures."""
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        tracker = open_tracker_db(f"sqlite:///{work / 'tracker.db'}")
        now = time.time()
        waiting = 0
        with tracker.begin() as connection:
            for start in range(0, conversations, 1000):
                batch = []
                for n in range(start, min(start + 1000, conversations)):
                    handed = n % 10 == 0
                    waiting += handed
                    batch += conversation_events(f"bench-{n:06d}", now - (conversations - n) * 30, handed)
                connection.execute(insert(events), batch)
        env = {
            **{name: uuid.uuid4().hex for name in GENERATED},
            **{k: v for k, v in os.environ.items() if not k.startswith(("CONSOLE_", "RASA_"))},
            "CONSOLE_PORT": str(_free_port()),
            "CONSOLE_TRACKER_DB_URL": f"sqlite:///{work / 'tracker.db'}",
            "CONSOLE_DB_URL": f"sqlite:///{work / 'console.db'}",
            "CONSOLE_SECRET_KEY": uuid.uuid4().hex * 2,
            "RASA_URL": f"http://127.0.0.1:{_free_port()}",
            "RASA_AUTH_TOKEN": "bench",
        }
        subprocess.run(
            [python(), "-m", "services.console", "create-user", "bench", "--password-stdin"],
            env=env,
            input=PASSWORD + "\n",
            text=True,
            check=True,
            capture_output=True,
        )
        supervisor = Supervisor([console_server(env)], env)
        started = time.perf_counter()
        supervisor.start()
        try:
            url = f"http://127.0.0.1:{env['CONSOLE_PORT']}"
            with httpx.Client(base_url=url, timeout=120) as client:
                login = client.get("/login").text
                found = re.search(r'name="csrf_token" value="([^"]+)"', login)
                if found is None:
                    raise RuntimeError("the console's sign-in page has no CSRF token")
                token = found.group(1)
                client.post("/login", data={"csrf_token": token, "username": "bench", "password": PASSWORD})
                _wait(
                    lambda: client.get("/queue/status").json()["waiting"] == waiting,
                    900,
                    "the first summary of the store",
                )
                first_sync = time.perf_counter() - started  # from the console's start
                pages = {
                    "/conversations": lambda: client.get("/conversations"),
                    "/conversations/rows (live list)": lambda: client.get("/conversations/rows"),
                    "/handoffs": lambda: client.get("/handoffs"),
                    "/handoffs/rows (live queue)": lambda: client.get("/handoffs/rows"),
                    "/queue/status (every page)": lambda: client.get("/queue/status"),
                    "/conversation (transcript)": lambda: client.get(
                        "/conversation", params={"id": "bench-005000"}
                    ),
                    "/dashboard (30 days)": lambda: client.get("/dashboard", params={"days": "30"}),
                }
                loads = {name: _timed(call, LOADS) for name, call in pages.items()}
                latencies = []

                def listed(sender: str) -> bool:
                    return sender in client.get("/queue/status").json()["ids"]

                for n in range(UPDATES):
                    sender = f"bench-new-{n}"
                    with tracker.begin() as connection:
                        connection.execute(insert(events), conversation_events(sender, time.time(), True))
                    latencies.append(1000 * _wait(partial(listed, sender), 60, sender))
        finally:
            supervisor.stop()
    latencies.sort()
    return {
        "conversations": conversations,
        "waiting": waiting,
        "first_sync_seconds": round(first_sync, 1),
        "page_ms": {k: {m: round(v, 1) for m, v in f.items()} for k, f in loads.items()},
        "update_latency_ms": {
            "median": round(statistics.median(latencies), 1),
            "p95": round(latencies[int(len(latencies) * 0.95) - 1], 1),
            "max": round(latencies[-1], 1),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m ops.bench.console", description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    figures = measure(parser.parse_args().conversations)
    json.dump(figures, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()

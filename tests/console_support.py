"""Helpers for the console tests: the console process, its CLI, signing in, and tracker rows.

Tracker rows are written in Rasa's own format (what SQLTrackerStore stores), so
the console under test reads exactly what it reads in production; the
end-to-end tests use the real assistant instead.
"""

import dataclasses
import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, insert, select
from support import free_port, running

from ops.environment import GENERATED
from ops.processes import Service
from ops.services import console_server
from services.console.schema import events, open_tracker_db

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
PASSWORD = "violet anchor trombone 1987 sunrise"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HTTP_TIMEOUT = 30.0
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def console_env(work: Path, tracker_db: Path, rasa_url: str, rasa_token: str) -> dict[str, str]:
    """The environment of a console on a free port over `tracker_db`, nothing taken from the
    project's .env."""
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CONSOLE_", "RASA_", "REST_CHANNEL", "ACCOUNT_"))
    }
    return {
        **inherited,
        # Every generated secret set, so that reading the project's .env never writes into it.
        **{name: uuid.uuid4().hex for name in GENERATED},
        "CONSOLE_PORT": str(free_port()),
        "CONSOLE_TRACKER_DB_URL": f"sqlite:///{tracker_db}",
        "CONSOLE_DB_URL": f"sqlite:///{work / 'console.db'}",
        "CONSOLE_SECRET_KEY": uuid.uuid4().hex * 2,
        "CONSOLE_SYNC_SECONDS": "0.5",
        "RASA_URL": rasa_url,
        "RASA_AUTH_TOKEN": rasa_token,
        # No account service behind these consoles: a closed port, never the one `make run` serves.
        "ACCOUNT_API_URL": f"http://127.0.0.1:{free_port()}",
    }


def console_service(env: dict[str, str]) -> Service:
    """`python -m services.console serve` as the launcher starts it (ops.services), given a minute."""
    return dataclasses.replace(console_server(env), ready_timeout=60.0)


class Console:
    """A running console and the way to reach it."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.url = f"http://127.0.0.1:{env['CONSOLE_PORT']}"
        self._running = ExitStack()

    def start(self) -> "Console":
        self._running.enter_context(running([console_service(self.env)], self.env))
        return self

    def stop(self) -> None:
        self._running.close()

    def cli(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
        """Runs `python -m services.console ARGS` with this console's settings."""
        return subprocess.run(
            [PYTHON, "-m", "services.console", *args],
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=PROJECT_ROOT,
        )

    def add_user(self, name: str, role: str = "agent") -> None:
        result = self.cli("create-user", name, "--role", role, "--password-stdin", stdin=PASSWORD + "\n")
        assert result.returncode == 0, result.stderr

    def client(self) -> httpx.Client:
        """A client without a session (redirects not followed, so refusals stay visible)."""
        return httpx.Client(base_url=self.url, timeout=HTTP_TIMEOUT, follow_redirects=False)

    @contextmanager
    def signed_in(self, name: str, password: str = PASSWORD) -> Iterator[httpx.Client]:
        """A client signed in as `name` through the real sign-in form, closed after the block."""
        with self.client() as client:
            response = client.post(
                "/login",
                data={"csrf_token": csrf_of(client, "/login"), "username": name, "password": password},
            )
            assert response.status_code == 303, response.text
            yield client


def csrf_of(client: httpx.Client, path: str) -> str:
    """The CSRF token in the forms of the page at `path`."""
    page = client.get(path)
    match = _CSRF.search(page.text)
    assert match, f"no CSRF token on {path} ({page.status_code})"
    return match.group(1)


class Tracker:
    """Rasa's tracker store (SQLite), written in Rasa's own event format."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.engine = open_tracker_db(f"sqlite:///{path}")

    def add(self, sender: str, rows: Iterable[dict[str, Any]]) -> int:
        """Stores the events of `sender`; returns how many."""
        records = [
            {
                "sender_id": sender,
                "type_name": row["event"],
                "timestamp": row["timestamp"],
                "intent_name": (row.get("parse_data") or {}).get("intent", {}).get("name"),
                "action_name": row.get("name") if row["event"] == "action" else None,
                "data": json.dumps(row),
            }
            for row in rows
        ]
        with self.engine.begin() as connection:
            connection.execute(insert(events), records)
        return len(records)

    def conversation(
        self,
        sender: str,
        messages: Sequence[tuple[str, str, float]],
        start: float | None = None,
        channel: str = "rest",
        language: str = "en",
        handoff: bool = False,
    ) -> int:
        """Stores a conversation as Rasa would: session start, then each (text, intent,
        confidence) answered."""
        t = start if start is not None else time.time()
        rows: list[dict[str, Any]] = [
            {
                "event": "slot",
                "timestamp": t,
                "name": "session_started_metadata",
                "value": {"channel": channel},
            },
            {
                "event": "action",
                "timestamp": t,
                "name": "action_session_start",
                "policy": None,
                "confidence": 1.0,
            },
            {"event": "session_started", "timestamp": t},
            {"event": "action", "timestamp": t, "name": "action_listen", "policy": None, "confidence": None},
        ]
        for text, intent, confidence in messages:
            t += 1
            rows += [
                {
                    "event": "user",
                    "timestamp": t,
                    "text": text,
                    "input_channel": channel,
                    "metadata": {"channel": channel},
                    "parse_data": {
                        "intent": {"name": intent, "confidence": confidence},
                        "entities": [{"entity": "language", "value": language, "start": 0, "end": 1}],
                        "text": text,
                    },
                },
                {"event": "slot", "timestamp": t, "name": "language", "value": language},
                {
                    "event": "action",
                    "timestamp": t,
                    "name": f"utter_{intent}",
                    "policy": "RulePolicy",
                    "confidence": 1.0,
                },
                {"event": "bot", "timestamp": t, "text": f"answer to {intent}", "metadata": {}},
                {
                    "event": "action",
                    "timestamp": t,
                    "name": "action_listen",
                    "policy": "RulePolicy",
                    "confidence": 1.0,
                },
            ]
        if handoff:
            rows.append(
                {
                    "event": "action",
                    "timestamp": t,
                    "name": "action_handoff",
                    "policy": "RulePolicy",
                    "confidence": 1.0,
                }
            )
        return self.add(sender, rows)

    def count(self, sender: str) -> int:
        """How many events of `sender` are stored."""
        with self.engine.connect() as connection:
            return connection.execute(
                select(func.count()).select_from(events).where(events.c.sender_id == sender)
            ).scalar()

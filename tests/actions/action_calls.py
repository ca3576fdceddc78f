"""Calling the real action server (`python -m rasa_sdk`, as `make run` starts it) over HTTP the way
Rasa calls it, with its account API at a URL the test chooses. Shared by the action tests."""

import dataclasses
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from support import free_port, running

from ops.services import action_server as actions_spec

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def actions_calling(api_url: str, token: str = "t" * 20) -> Iterator[str]:
    """rasa-sdk serving actions/ as `make run` starts it, its account API at `api_url`."""
    port = str(free_port())
    env = {
        "PATH": "/usr/bin:/bin",
        "ACCOUNT_API_URL": api_url,
        "ACCOUNT_API_TOKEN": token,
        "ACCOUNT_API_TIMEOUT": "1",
    }
    with running([dataclasses.replace(actions_spec(env, port), cwd=str(ROOT))], env):
        yield f"http://127.0.0.1:{port}"


def call(
    url: str,
    action: str,
    domain: dict[str, Any],
    slots: dict[str, Any] | None = None,
    latest_message: dict[str, Any] | None = None,
    events: list[dict[str, Any]] | None = None,
    sender_id: str = "failure-test",
) -> dict[str, Any]:
    """Runs `action` on a tracker with these slots, latest message and events (by default a
    French customer who confirmed anna@example.com); returns the action server's answer."""
    tracker = {
        "sender_id": sender_id,
        "slots": slots or {"email": "anna@example.com", "language": "fr", "email_confirmed": True},
        "latest_message": {
            "text": "/affirm",
            "intent": {"name": "affirm"},
            "entities": [],
            "message_id": f"m-{time.monotonic_ns()}",
            **(latest_message or {}),
        },
        "events": events or [],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
    }
    response = httpx.post(
        f"{url}/webhook",
        json={
            "next_action": action,
            "sender_id": sender_id,
            "tracker": tracker,
            "domain": domain,
            "version": "3.6.2",
        },
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()


def slots_set(answer: dict[str, Any]) -> dict[str, Any]:
    """The slots the action set, by name."""
    return {e["name"]: e["value"] for e in answer["events"] if e["event"] == "slot"}

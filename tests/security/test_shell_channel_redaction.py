"""Attack (by accident): a customer types a password into `make shell`, and it is stored in clear.

`make shell` runs `rasa shell` through bot.runtime.server: Rasa's own command-line channel, which
posts each typed line to `/webhooks/rest/webhook` of an in-process server and redacts nothing.
Before the fix, "мой пароль Secret123! не подходит" was in the tracker database verbatim while
the assistant said it had hidden it. The same server is started here as `rasa shell` starts it
(`run --connector cmdline`, the shell's channel and URL, minus the interactive prompt), with the
real model, action server and account service, and the SQLite tracker store is read directly.
"""

import os
import secrets
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support import free_port

from ops.processes import Service, Supervisor
from ops.services import account_service, action_server, python


@pytest.fixture(scope="module")
def shell_server(model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    work = tmp_path_factory.mktemp("shell")
    rasa_port, actions_port, accounts_port = free_port(), free_port(), free_port()
    endpoints = work / "endpoints.yml"
    database = work / "tracker.db"
    endpoints.write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{actions_port}/webhook"\n'
        f'tracker_store:\n  type: SQL\n  dialect: "sqlite"\n  db: "{database}"\n'
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("ACCOUNT_", "REST_CHANNEL"))},
        "ACCOUNT_API_TOKEN": secrets.token_urlsafe(24),
        "ACCOUNT_API_URL": f"http://127.0.0.1:{accounts_port}",
        "ACCOUNT_DATABASE_URL": f"sqlite:///{work / 'accounts.db'}",
        "ACCOUNT_DEV_OUTBOX": "1",
        "ACTIONS_PORT": str(actions_port),
        "ACCOUNT_PORT": str(accounts_port),
    }
    shell = Service(
        "rasa-shell",
        [
            python(),
            "-m",
            "bot.runtime.server",
            "run",
            "--connector",
            "cmdline",
            "--model",
            str(model),
            "--endpoints",
            str(endpoints),
            "--interface",
            "127.0.0.1",
            "--port",
            str(rasa_port),
        ],
        f"http://127.0.0.1:{rasa_port}/",
        ready_timeout=300.0,
    )
    supervisor = Supervisor([account_service(env), action_server(env), shell], env)
    try:
        supervisor.start()
        yield {"url": f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook", "db": database}
    finally:
        supervisor.stop()


def typed(server: dict, sender: str, line: str) -> list[dict]:
    """What the shell does with a typed line (rasa.core.channels.console.send_message_receive_block)."""
    answer = httpx.post(server["url"], json={"sender": sender, "message": line}, timeout=120)
    answer.raise_for_status()
    return answer.json()


def stored(server: dict) -> str:
    with sqlite3.connect(server["db"]) as connection:
        return "\n".join(row[0] or "" for row in connection.execute("SELECT data FROM events"))


def test_a_password_typed_in_the_shell_is_not_stored(shell_server):
    sender = f"shell-{uuid.uuid4().hex[:8]}"
    typed(shell_server, sender, "мой пароль Secret123! не подходит")
    assert "Secret123" not in stored(shell_server)
    assert "[redacted: credential]" in stored(shell_server)


def test_a_bare_password_typed_at_the_address_prompt_is_not_stored(shell_server):
    sender = f"shell-{uuid.uuid4().hex[:8]}"
    typed(shell_server, sender, "I forgot my password")
    typed(shell_server, sender, "/affirm")
    replies = typed(shell_server, sender, "Qwerty!2024")
    assert "Qwerty!2024" not in stored(shell_server)
    said = " ".join(reply.get("text", "") for reply in replies)
    assert "never share your password" in said  # warned, not told it is a malformed address
    assert "redacted" not in said

"""Attack surface of a local run: secrets readable by other local users, and every server holding
every other server's keys.

Before: `.env` was written with the default mode and chmod'ed to 0600 afterwards (readable by
everyone in between), `var/*.db` were 0644, and every child process got every secret in its
environment (the action server could read the console's session key and the platform tokens).
"""

import os
import stat
from pathlib import Path

import pytest
from support import free_port

from ops import environment
from ops.environment import SECRET_VARIABLES
from ops.processes import Supervisor
from ops.services import (
    ACCOUNT_SECRETS,
    ACTION_SECRETS,
    account_service,
    action_server,
    console_server,
    rasa_server,
)


def test_env_file_is_owner_only_from_the_first_byte(tmp_path: Path, monkeypatch) -> None:
    # With every later chmod disabled, only a file created 0600 ends up 0600.
    monkeypatch.setattr(os, "fchmod", lambda *args: None)
    monkeypatch.setattr(os, "chmod", lambda *args, **kwargs: None)
    monkeypatch.setattr(Path, "chmod", lambda *args, **kwargs: None)
    previous = os.umask(0o022)
    try:
        env_file = tmp_path / ".env"
        environment.ensure_generated_secrets(env_file, {})
    finally:
        os.umask(previous)
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert set(environment.read_env_file(env_file)) == set(environment.GENERATED)


def test_an_existing_world_readable_env_file_is_closed_before_secrets_are_added(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("# an old file\n")
    env_file.chmod(0o644)
    environment.ensure_generated_secrets(env_file, {})
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600


@pytest.fixture
def running(tmp_path: Path):
    accounts_port, actions_port = free_port(), free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in SECRET_VARIABLES},
        **{name: f"secret-value-of-{name}" for name in SECRET_VARIABLES},
        "ACCOUNT_DATABASE_URL": f"sqlite:///{tmp_path / 'accounts.db'}",
        "ACCOUNT_PORT": str(accounts_port),
        "ACTIONS_PORT": str(actions_port),
        "ACCOUNT_API_URL": f"http://127.0.0.1:{accounts_port}",
    }
    supervisor = Supervisor([account_service(env), action_server(env)], env)
    try:
        supervisor.start()
        yield supervisor, tmp_path
    finally:
        supervisor.stop()


def _environment_of(pid: int) -> dict:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().partition("=")[::2] for item in raw if b"=" in item)


def test_each_child_gets_only_the_secrets_it_uses_and_its_database_is_private(running) -> None:
    supervisor, folder = running
    for name, used in (("accounts", ACCOUNT_SECRETS), ("actions", ACTION_SECRETS)):
        seen = set(_environment_of(supervisor.service(name).process.pid)) & SECRET_VARIABLES
        assert seen == set(used), name
    assert stat.S_IMODE((folder / "accounts.db").stat().st_mode) == 0o600


def test_no_server_is_handed_another_servers_keys() -> None:
    env = {
        "ACCOUNT_PORT": "1",
        "ACTIONS_PORT": "2",
        "RASA_PORT": "3",
        "RASA_HOST": "127.0.0.1",
        "CONSOLE_PORT": "4",
    }
    declared = {
        s.name: set(s.secrets)
        for s in (account_service(env), action_server(env), rasa_server(env), console_server(env))
    }
    assert "CONSOLE_SECRET_KEY" not in declared["rasa"] | declared["actions"] | declared["accounts"]
    assert "ACCOUNT_API_TOKEN" not in declared["rasa"]
    assert "TELEGRAM_BOT_TOKEN" in declared["rasa"]
    assert "TELEGRAM_BOT_TOKEN" not in declared["actions"] | declared["accounts"] | declared["console"]

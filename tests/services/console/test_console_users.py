"""User management: admins create, disable, re-enable, change the role and reset the password of
accounts, in the console and on the command line; every change is audited; Ctrl-C at the
password prompt ends the command cleanly."""

import signal
import subprocess
import time

from console_support import PASSWORD, PROJECT_ROOT, PYTHON, csrf_of

NEW_PASSWORD = "copper lantern meadow 4412 violin"


def _change(client, **fields):
    return client.post("/users", data={"csrf_token": csrf_of(client, "/users"), **fields})


def _audit(console) -> str:
    with console.signed_in("admin1") as admin:
        return admin.get("/audit").text


def test_an_admin_manages_an_account_in_the_console_and_each_change_is_audited(make_console) -> None:
    bare = make_console()
    console = bare.console
    with console.signed_in("admin1") as admin:
        assert (
            _change(admin, action="create", username="carol", role="agent", password=PASSWORD).status_code
            == 303
        )
        assert "carol" in admin.get("/users").text
        with console.signed_in("carol") as carol:
            assert carol.get("/conversations").status_code == 200
            assert _change(admin, action="disable", username="carol").status_code == 303
            # her open session ended at once, and she cannot sign in again
            assert carol.get("/conversations").status_code in (302, 401)
        with console.client() as anonymous:
            refused = anonymous.post(
                "/login",
                data={"csrf_token": csrf_of(anonymous, "/login"), "username": "carol", "password": PASSWORD},
            )
        assert refused.status_code == 401
        assert _change(admin, action="enable", username="carol").status_code == 303
        assert _change(admin, action="role", username="carol", role="admin").status_code == 303
        assert _change(admin, action="password", username="carol", password=NEW_PASSWORD).status_code == 303
        weak = _change(admin, action="password", username="carol", password="password123")
        assert weak.status_code == 400 and "the password must have at least 12" in weak.text
        itself = _change(admin, action="disable", username="admin1")
        assert itself.status_code == 400 and "your own account" in itself.text
    with console.signed_in("carol", NEW_PASSWORD) as carol:
        assert carol.get("/users").status_code == 200, "carol is an admin now"
    trail = _audit(console)
    for action in ("create user", "disable user", "enable user", "change role", "reset password"):
        assert action in trail
    assert "carol: agent -&gt; admin" in trail


def test_agents_cannot_manage_accounts(make_console) -> None:
    console = make_console().console
    with console.signed_in("agent1") as agent:
        assert agent.get("/users").status_code == 403
        token = csrf_of(agent, "/conversations")
        assert (
            agent.post(
                "/users", data={"csrf_token": token, "action": "disable", "username": "admin1"}
            ).status_code
            == 403
        )


def test_the_command_line_manages_accounts_with_password_stdin(make_console) -> None:
    console = make_console().console
    assert console.cli("users", "disable", "agent1", "--by", "ops-oncall").returncode == 0
    assert "agent1\tagent\tdisabled" in console.cli("users", "list").stdout
    assert console.cli("users", "enable", "agent1").returncode == 0
    assert console.cli("users", "set-role", "agent1", "--role", "admin").returncode == 0
    reset = console.cli("users", "reset-password", "agent1", "--password-stdin", stdin=NEW_PASSWORD + "\n")
    assert reset.returncode == 0, reset.stderr
    with console.signed_in("agent1", NEW_PASSWORD) as client:
        assert client.get("/users").status_code == 200
    last_admin = console.cli("users", "disable", "admin1")
    assert last_admin.returncode == 0, "agent1 is an admin too now"
    refused = console.cli("users", "set-role", "agent1", "--role", "agent")
    assert refused.returncode == 2 and "last enabled admin" in refused.stderr
    trail = _audit_as(console, "agent1", NEW_PASSWORD)
    assert "ops-oncall" in trail and "reset password" in trail


def _audit_as(console, name: str, password: str) -> str:
    with console.signed_in(name, password) as admin:
        return admin.get("/audit").text


def test_ctrl_c_at_the_password_prompt_ends_cleanly(make_console) -> None:
    console = make_console().console
    process = subprocess.Popen(
        [PYTHON, "-m", "services.console", "create-user", "dave"],
        env=console.env,
        cwd=PROJECT_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    prompt = ""
    while "password" not in prompt and time.monotonic() < deadline:
        prompt += process.stderr.read(1)
    process.send_signal(signal.SIGINT)
    _, errors = process.communicate(timeout=30)
    assert process.returncode == 130
    assert "Traceback" not in errors and "interrupted, nothing changed" in errors
    assert "dave" not in console.cli("users", "list").stdout

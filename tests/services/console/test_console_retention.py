"""Retention purge and erasure on request: gone from every copy, and recorded without content."""

import getpass
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from account_service_fixtures import start_service
from console_support import csrf_of
from sqlalchemy import create_engine, text
from support import wait_for

DAY = 86400.0
CONSOLE_TABLES = ("summaries", "conversation_intents", "tags", "notes", "corrections", "handoffs")


@pytest.fixture(scope="module")
def accounts(tmp_path_factory):
    """A real account service, for the second run of a command that first found none."""
    service = start_service(tmp_path_factory.mktemp("accounts"))
    yield service
    service.stop()


@contextmanager
def reachable(bare, accounts) -> Iterator[None]:
    """The console's commands pointed at the running account service for the block."""
    saved = {k: bare.console.env[k] for k in ("ACCOUNT_API_URL", "ACCOUNT_API_TOKEN")}
    bare.console.env.update({"ACCOUNT_API_URL": accounts.url, "ACCOUNT_API_TOKEN": accounts.token})
    try:
        yield
    finally:
        bare.console.env.update(saved)


def _console_rows(bare, conversation_id: str) -> dict:
    """How many rows each console table holds about one conversation."""
    engine = create_engine(bare.console.env["CONSOLE_DB_URL"])
    with engine.connect() as connection:
        return {
            table: connection.execute(
                text(f"SELECT COUNT(*) FROM {table} WHERE conversation_id = :c"), {"c": conversation_id}
            ).scalar()
            for table in CONSOLE_TABLES
        }


def _records(bare) -> list:
    engine = create_engine(bare.console.env["CONSOLE_DB_URL"])
    with engine.connect() as connection:
        return [dict(r._mapping) for r in connection.execute(text("SELECT * FROM erasures ORDER BY id"))]


def _review(bare, conversation_id: str) -> None:
    """Gives the conversation a tag, a note and an intent correction, so every console table holds it."""
    with bare.console.signed_in("agent1") as client:
        page = client.get("/conversation", params={"id": conversation_id}).text
        event_id = page.split('name="event_id" value="')[1].split('"')[0]
        token = csrf_of(client, f"/conversation?id={conversation_id}")
        for path, data in (
            ("/conversation/tags", {"tags": "vip, follow-up"}),
            ("/conversation/notes", {"text": "customer called back"}),
            ("/conversation/correct", {"event_id": event_id, "intent": "lost_email_access"}),
        ):
            response = client.post(path, data={"id": conversation_id, "csrf_token": token, **data})
            assert response.status_code == 303, (path, response.text)


def _synced(bare, conversation_id: str) -> None:
    with bare.console.signed_in("agent1") as client:
        wait_for(
            lambda: client.get("/conversation", params={"id": conversation_id}).status_code == 200,
            message=f"{conversation_id} in the console",
        )


def test_purge_removes_only_conversations_idle_past_retention(bare, accounts) -> None:
    now = time.time()
    old = bare.tracker.conversation(
        "old-1",
        [("I lost my mailbox, write to old@example.com", "lost_email_access", 0.9)],
        start=now - 120 * DAY,
    )
    bare.tracker.conversation(
        "recent-1", [("forgot password", "forgot_password", 0.95)], start=now - 10 * DAY
    )
    _synced(bare, "old-1")
    _synced(bare, "recent-1")
    _review(bare, "old-1")
    assert all(
        _console_rows(bare, "old-1")[t]
        for t in ("summaries", "conversation_intents", "tags", "notes", "corrections")
    )

    # The account service cannot be reached: nothing is purged, so the next run can try again.
    refused = bare.console.cli("purge", "--days", "90", "--by", "nightly-job")
    assert refused.returncode == 2 and "nothing was erased" in refused.stderr, refused.stderr
    assert bare.tracker.count("old-1") == old

    with reachable(bare, accounts):
        result = bare.console.cli("purge", "--days", "90", "--by", "nightly-job")
    assert result.returncode == 0, result.stderr
    assert "purged 1 conversations" in result.stdout

    assert bare.tracker.count("old-1") == 0
    assert bare.tracker.count("recent-1") > 0
    assert not any(_console_rows(bare, "old-1").values())
    assert _console_rows(bare, "recent-1")["summaries"] == 1
    record = _records(bare)[-1]
    assert (
        record["kind"],
        record["actor"],
        json.loads(record["conversation_ids"]),
        record["event_count"],
    ) == ("purge", f"cli:{getpass.getuser()} (nightly-job)", ["old-1"], old)
    assert "old@example.com" not in json.dumps(record)


def test_erasure_on_request_by_address_removes_every_copy_and_keeps_a_record(bare, accounts) -> None:
    mentioned = bare.tracker.conversation(
        "telegram:4242", [("my email is Erase.Me@example.com", "inform", 0.97)], channel="telegram"
    )
    bare.tracker.conversation("other-2", [("bonjour", "greet", 0.99)], language="fr")
    _synced(bare, "telegram:4242")
    _review(bare, "telegram:4242")

    dry = bare.console.cli("erase", "--mentioning", "erase.me@example.com", "--by", "dpo", "--dry-run")
    assert dry.returncode == 0 and dry.stdout.split() == ["telegram:4242"]
    assert bare.tracker.count("telegram:4242") == mentioned

    refused = bare.console.cli("erase", "--mentioning", "erase.me@example.com", "--by", "dpo")
    # The account service cannot be reached: nothing is erased, and the same command works later
    # (tests/security checks what the account service itself erased).
    assert refused.returncode == 2 and "nothing was erased" in refused.stderr, refused.stderr
    assert bare.tracker.count("telegram:4242") == mentioned
    with reachable(bare, accounts):
        result = bare.console.cli("erase", "--mentioning", "erase.me@example.com", "--by", "dpo")
    assert result.returncode == 0, result.stderr
    assert bare.tracker.count("telegram:4242") == 0
    assert not any(_console_rows(bare, "telegram:4242").values())
    assert bare.tracker.count("other-2") > 0
    record = _records(bare)[-1]
    assert (
        record["kind"],
        record["actor"],
        json.loads(record["conversation_ids"]),
        record["event_count"],
    ) == ("erasure", f"cli:{getpass.getuser()}", ["telegram:4242"], mentioned)
    assert "example.com" not in json.dumps(record)

    with bare.console.signed_in("admin1") as admin:
        trail = admin.get("/audit", params={"action": "erase"}).text
        assert "telegram:4242" in trail and "requested by dpo" in trail
        assert admin.get("/conversation", params={"id": "telegram:4242"}).status_code == 404


def test_erase_refuses_without_a_target_and_reports_nothing_found(bare) -> None:
    missing = bare.console.cli("erase", "--by", "dpo")
    assert missing.returncode == 2 and "nothing to erase" in missing.stderr
    unknown = bare.console.cli("erase", "--conversation", "never-existed", "--by", "dpo")
    assert unknown.returncode == 0 and "erased 0 conversations" in unknown.stdout


def test_an_admin_erases_a_conversation_from_the_console(bare) -> None:
    bare.tracker.conversation("web-erase-1", [("delete everything about me", "request_human", 0.7)])
    _synced(bare, "web-erase-1")
    with bare.console.signed_in("admin1") as admin:
        token = csrf_of(admin, "/conversation?id=web-erase-1")
        response = admin.post("/conversation/erase", data={"id": "web-erase-1", "csrf_token": token})
        assert response.status_code == 303
        assert admin.get("/conversation", params={"id": "web-erase-1"}).status_code == 404
    assert bare.tracker.count("web-erase-1") == 0
    assert not any(_console_rows(bare, "web-erase-1").values())
    record = _records(bare)[-1]
    assert (record["actor"], json.loads(record["conversation_ids"])) == ("admin1", ["web-erase-1"])

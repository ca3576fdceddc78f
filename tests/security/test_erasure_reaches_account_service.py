"""Attack (on privacy): a customer asks to be erased and the account service keeps their data.

Before: `python -m services.console erase` deleted the conversation from the tracker store and the
console, while the account service kept the support ticket (conversation id, address, summary),
the queued email with its working link, the idempotency keys naming the conversation and the
rate-limit records; and the erasure was recorded under whatever `--by` said.
"""

import getpass
import hashlib
import sqlite3
import time
import uuid

from account_service_fixtures import register, start_service
from console_support import Console, Tracker, console_env
from support import free_port

from actions.account_api import conversation_digest


def test_erasure_reaches_the_account_services_copies(tmp_path):
    (tmp_path / "accounts").mkdir()
    accounts = start_service(tmp_path / "accounts", ACCOUNT_DEV_OUTBOX="1")
    console = None
    try:
        conversation = f"telegram:{uuid.uuid4().int % 10**9}"
        email = f"erase-me-{uuid.uuid4().hex[:6]}@example.com"
        with accounts.client() as api:
            register(api, email)
            key = f"{conversation_digest(conversation)}:password_reset:1"
            assert (
                api.post(
                    "/v1/password-resets",
                    json={"email": email},
                    headers={"Idempotency-Key": key, "X-Conversation-Id": conversation},
                ).status_code
                == 202
            )
            assert (
                api.post(
                    "/v1/support-tickets",
                    json={
                        "topic": "lost_email_access",
                        "channel": "telegram",
                        "conversation_id": conversation,
                        "language": "en",
                        "summary": "customer lost their mailbox",
                        "email": email,
                    },
                ).status_code
                == 201
            )
            assert len(api.get("/v1/outbox", params={"to": email}).json()) == 1

        tracker = Tracker(tmp_path / "tracker.db")
        tracker.conversation(conversation, [(f"my email is {email}", "inform", 0.97)], channel="telegram")
        env = console_env(tmp_path, tracker.path, f"http://127.0.0.1:{free_port()}", "no-rasa")
        env.update({"ACCOUNT_API_URL": accounts.url, "ACCOUNT_API_TOKEN": accounts.token})
        console = Console(env)
        result = console.cli("erase", "--conversation", conversation, "--by", "the customer, by email")
        assert result.returncode == 0, result.stderr

        digest = hashlib.sha256(conversation.encode()).hexdigest()
        with sqlite3.connect(accounts.database) as db:
            dump = "\n".join(db.iterdump())
        # The account itself stays: erasing conversations is not deleting the customer's account.
        leftover = [line for line in dump.splitlines() if not line.startswith('INSERT INTO "accounts"')]
        assert not [line for line in leftover if conversation in line or email in line or digest in line]
        assert hashlib.sha256(email.encode()).hexdigest() not in "\n".join(leftover)
        with sqlite3.connect(tmp_path / "console.db") as db:
            actors = {row[0] for row in db.execute("SELECT actor FROM audit WHERE action = 'erase'")}
            details = " ".join(
                row[0] for row in db.execute("SELECT detail FROM audit WHERE action = 'erase'")
            )
        assert actors == {f"cli:{getpass.getuser()}"}
        assert "requested by the customer, by email" in details and "1 support tickets" in details
    finally:
        accounts.stop()


def test_a_retention_purge_reaches_the_account_service_by_conversation_only(tmp_path):
    """Before: `purge` removed an idle conversation from the tracker store and the console, while
    the account service kept its ticket (summary of what the customer wrote) for ever. A newer
    conversation at the same address keeps its ticket: a purge erases by conversation, not by
    address."""
    (tmp_path / "accounts").mkdir()
    accounts = start_service(tmp_path / "accounts", ACCOUNT_DEV_OUTBOX="1")
    try:
        old, recent = f"telegram:{uuid.uuid4().int % 10**9}", f"telegram:{uuid.uuid4().int % 10**9}"
        email = f"purge-{uuid.uuid4().hex[:6]}@example.com"
        with accounts.client() as api:
            for conversation in (old, recent):
                ticket = {
                    "topic": "lost_email_access",
                    "channel": "telegram",
                    "conversation_id": conversation,
                    "language": "en",
                    "summary": f"summary of {conversation}",
                    "email": email,
                }
                assert api.post("/v1/support-tickets", json=ticket).status_code == 201

        tracker = Tracker(tmp_path / "tracker.db")
        tracker.conversation(old, [(f"my email is {email}", "inform", 0.97)], start=time.time() - 120 * 86400)
        tracker.conversation(recent, [(f"my email is {email}", "inform", 0.97)])
        env = console_env(tmp_path, tracker.path, f"http://127.0.0.1:{free_port()}", "no-rasa")
        env.update({"ACCOUNT_API_URL": accounts.url, "ACCOUNT_API_TOKEN": accounts.token})
        result = Console(env).cli("purge", "--days", "90", "--by", "nightly-job")
        assert result.returncode == 0, result.stderr
        assert "account service: " in result.stdout and "1 support tickets" in result.stdout

        with sqlite3.connect(accounts.database) as db:
            kept = [row[0] for row in db.execute("SELECT conversation_id FROM support_tickets")]
        assert kept == [recent]
        with sqlite3.connect(tmp_path / "console.db") as db:
            actions = [row[0] for row in db.execute("SELECT action FROM audit WHERE detail LIKE 'account%'")]
        assert actions == ["purge"]
    finally:
        accounts.stop()

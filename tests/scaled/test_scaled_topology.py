"""`make run-scaled` for real: PostgreSQL, Redis, nginx and two Rasa workers on loopback.

Started once for this module from the trained model, on free ports and in a temporary folder,
and always stopped. Checks what the topology is for: conversations stored in PostgreSQL, in
order, whichever worker answered, and a worker's death costing no conversation.
"""

import json
import os
import secrets
import shutil
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Iterator, List, Tuple

import psycopg2
import pytest
from support import free_port

from bot.bench.load import Turn
from bot.bench.measures import order_problem, stored_user_texts
from bot.processes import Supervisor
from bot.scaled import nginx
from bot.scaled.topology import Topology, build


@pytest.fixture(scope="module")
def running(model: Path) -> Iterator[Tuple[Topology, Supervisor]]:
    work = Path(tempfile.mkdtemp(prefix="scaled-"))
    work.chmod(0o755)  # PostgreSQL runs as its own account and must reach its folder
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("ACCOUNT_", "CONSOLE_"))},
        "ACCOUNT_API_TOKEN": secrets.token_urlsafe(24), "RASA_AUTH_TOKEN": secrets.token_urlsafe(24),
        "CONSOLE_SECRET_KEY": secrets.token_urlsafe(32), "POSTGRES_PASSWORD": secrets.token_urlsafe(24),
        "ACCOUNT_DEV_OUTBOX": "1", "RASA_HOST": "127.0.0.1",
        "SCALED_DATA": str(work), "SCALED_RASA_WORKERS": "2",
    }
    ports = {name: str(free_port()) for name in (
        "RASA_PORT", "ACTIONS_PORT", "ACCOUNT_PORT", "CONSOLE_PORT", "POSTGRES_PORT", "REDIS_PORT")}
    env.update(ports)
    env.update({
        "RASA_WORKER_PORT": str(free_port()), "ACTIONS_WORKER_PORT": str(free_port()),
        "RASA_URL": f"http://127.0.0.1:{ports['RASA_PORT']}",
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{ports['ACTIONS_PORT']}/webhook",
        "ACCOUNT_API_URL": f"http://127.0.0.1:{ports['ACCOUNT_PORT']}",
    })
    if int(env["RASA_WORKER_PORT"]) + 1 in map(int, ports.values()):
        pytest.skip("free ports collided; run again")
    topology = build(env, model.parent)
    supervisor = Supervisor(topology.services, topology.env)
    try:
        supervisor.start()
        yield topology, supervisor
    finally:
        supervisor.stop()
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture
def scaled(running: Tuple[Topology, Supervisor]) -> Topology:
    return running[0]


def say(topology: Topology, sender: str, text: str) -> Turn:
    request = urllib.request.Request(
        f"{topology.env['RASA_URL']}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": text}).encode(),
        headers={"Content-Type": "application/json"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            body = json.load(response)
            return Turn(text, response.status, time.perf_counter() - started, len(body))
    except urllib.error.HTTPError as refused:
        return Turn(text, refused.code, time.perf_counter() - started, 0)


def tracker_rows(topology: Topology, sender: str) -> List[str]:
    env = topology.env
    with psycopg2.connect(host="127.0.0.1", port=env["POSTGRES_PORT"], user="assistant",
                          password=env["POSTGRES_PASSWORD"], dbname="tracker") as connection:
        with connection.cursor() as cursor:
            cursor.execute("SELECT type_name FROM events WHERE sender_id = %s ORDER BY id", (sender,))
            return [row[0] for row in cursor.fetchall()]


def test_conversations_are_kept_in_postgresql_whichever_worker_answers(scaled: Topology) -> None:
    sender = f"scaled-{uuid.uuid4().hex[:8]}"
    sent = [say(scaled, sender, text) for text in
            ("hi", "I forgot my password", "yes", f"{sender}@example.com", "yes", "thanks")]
    assert all(t.ok for t in sent)
    assert tracker_rows(scaled, sender).count("user") == len(sent)
    stored = stored_user_texts(scaled.env["RASA_URL"], scaled.env["RASA_AUTH_TOKEN"], sender)
    assert order_problem(sent, stored) is None


def test_a_dead_worker_costs_no_conversation(running: Tuple[Topology, Supervisor]) -> None:
    scaled, supervisor = running
    senders = [f"survivor-{uuid.uuid4().hex[:8]}" for _ in range(3)]
    sent = {s: [say(scaled, s, "je ne reçois pas le mail de confirmation")] for s in senders}

    supervisor.stop_service(scaled.workers[0], hard=True)
    for sender in senders:
        for text in ("oui", "merci"):
            sent[sender].append(say(scaled, sender, text))

    assert all(t.ok for turns in sent.values() for t in turns)
    for sender, turns in sent.items():
        stored = stored_user_texts(scaled.env["RASA_URL"], scaled.env["RASA_AUTH_TOKEN"], sender)
        assert order_problem(turns, stored) is None


def test_nginx_spreads_over_every_worker_and_skips_a_dead_one() -> None:
    prefix = Path(tempfile.mkdtemp())
    try:
        config = nginx.write_config(prefix, 5005, [5101, 5102], 5055, [5151]).read_text()
    finally:
        shutil.rmtree(prefix)
    assert "server 127.0.0.1:5101" in config and "server 127.0.0.1:5102" in config
    assert "listen 127.0.0.1:5005" in config and "server 127.0.0.1:5151" in config
    assert "proxy_next_upstream error timeout" in config


def test_while_postgresql_is_down_turns_fail_cleanly_and_then_the_conversation_goes_on(
    running: Tuple[Topology, Supervisor]
) -> None:
    scaled, supervisor = running
    sender = f"outage-{uuid.uuid4().hex[:8]}"
    sent = [say(scaled, sender, "I forgot my password")]
    supervisor.stop_service("postgres")
    try:
        during = say(scaled, sender, "yes")
    finally:
        supervisor.start_service("postgres")
    sent.append(during)
    # Each worker's pool finds its stale connections on first use; a few turns at most.
    after = [say(scaled, sender, "yes") for _ in range(3)]
    sent += after

    assert during.status == 503 and during.replies == 0  # nothing answered out of context
    assert after[-1].ok
    stored = stored_user_texts(scaled.env["RASA_URL"], scaled.env["RASA_AUTH_TOKEN"], sender)
    assert "yes" in stored and order_problem(sent, stored) is None

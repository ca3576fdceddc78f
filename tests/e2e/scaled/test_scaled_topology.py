"""`make run-scaled` for real: PostgreSQL, Redis, nginx and two Rasa workers on loopback.

Started once for this module from the trained model, on free ports and in a temporary folder,
and always stopped. Checks what the topology is for: conversations stored in PostgreSQL, in
order, whichever worker answered, and a worker's death costing no conversation.
"""

import asyncio
import os
import secrets
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg2
import pytest
from support import free_port

from bot.settings import SettingsError
from ops.bench.load import Turn, say_once
from ops.bench.measures import order_problem, stored_events, stored_user_texts
from ops.processes import Supervisor
from ops.scaled import nginx
from ops.scaled.topology import ScaledSettings, Topology, build, check_reachable


@pytest.fixture(scope="module")
def running(model: Path) -> Iterator[tuple[Topology, Supervisor]]:
    work = Path(tempfile.mkdtemp(prefix="scaled-"))
    work.chmod(0o711)  # PostgreSQL and Redis run as their own accounts and must reach their files
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("ACCOUNT_", "CONSOLE_"))},
        "ACCOUNT_API_TOKEN": secrets.token_urlsafe(24),
        "RASA_AUTH_TOKEN": secrets.token_urlsafe(24),
        "CONSOLE_SECRET_KEY": secrets.token_urlsafe(32),
        "POSTGRES_PASSWORD": secrets.token_urlsafe(24),
        "REDIS_PASSWORD": secrets.token_urlsafe(24),
        "ACCOUNT_DEV_OUTBOX": "1",
        "RASA_HOST": "127.0.0.1",
        "SCALED_DATA": str(work),
        "SCALED_RASA_WORKERS": "2",
    }
    ports = {
        name: str(free_port())
        for name in (
            "RASA_PORT",
            "ACTIONS_PORT",
            "ACCOUNT_PORT",
            "CONSOLE_PORT",
            "POSTGRES_PORT",
            "REDIS_PORT",
        )
    }
    env.update(ports)
    env.update(
        {
            "RASA_WORKER_PORT": str(free_port()),
            "ACTIONS_WORKER_PORT": str(free_port()),
            "RASA_URL": f"http://127.0.0.1:{ports['RASA_PORT']}",
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{ports['ACTIONS_PORT']}/webhook",
            "ACCOUNT_API_URL": f"http://127.0.0.1:{ports['ACCOUNT_PORT']}",
        }
    )
    if int(env["RASA_WORKER_PORT"]) + 1 in map(int, ports.values()):
        pytest.skip("free ports collided; run again")
    try:
        topology = build(env, model.parent)
        supervisor = Supervisor(topology.services, topology.env)
        try:
            supervisor.start()
            yield topology, supervisor
        finally:
            supervisor.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture
def scaled(running: tuple[Topology, Supervisor]) -> Topology:
    return running[0]


def say(topology: Topology, sender: str, text: str) -> Turn:
    """One customer message through nginx, as the bench sends it."""
    return asyncio.run(say_once(f"{topology.env['RASA_URL']}/webhooks/rest/webhook", sender, text))


def tracker_rows(topology: Topology, sender: str) -> list[str]:
    env = topology.env
    with psycopg2.connect(
        host="127.0.0.1",
        port=env["POSTGRES_PORT"],
        user="assistant",
        password=env["POSTGRES_PASSWORD"],
        dbname="tracker",
    ) as connection:
        with connection.cursor() as cursor:
            cursor.execute("SELECT type_name FROM events WHERE sender_id = %s ORDER BY id", (sender,))
            return [row[0] for row in cursor.fetchall()]


def test_conversations_are_kept_in_postgresql_whichever_worker_answers(scaled: Topology) -> None:
    sender = f"scaled-{uuid.uuid4().hex[:8]}"
    sent = [
        say(scaled, sender, text)
        for text in ("hi", "I forgot my password", "yes", f"{sender}@example.com", "yes", "thanks")
    ]
    assert all(t.ok for t in sent)
    assert tracker_rows(scaled, sender).count("user") == len(sent)
    stored = stored_user_texts(scaled.env["RASA_URL"], scaled.env["RASA_AUTH_TOKEN"], sender)
    assert order_problem(sent, stored) is None


def test_one_conversations_messages_are_handled_one_at_a_time_across_workers(scaled: Topology) -> None:
    """Messages of one customer at once, sent to both workers directly (nginx would send them all
    to the conversation's worker); Redis's lock runs them in turn."""
    sender = f"burst-{uuid.uuid4().hex[:8]}"
    say(scaled, sender, "hi")
    first = int(scaled.env["RASA_WORKER_PORT"])
    workers = [f"http://127.0.0.1:{first + i}/webhooks/rest/webhook" for i in range(2)]
    texts = ["I forgot my password", "je ne reçois pas le mail", "thanks", "merci"]
    with ThreadPoolExecutor(max_workers=4) as pool:
        turns = list(
            pool.map(
                lambda numbered: asyncio.run(say_once(workers[numbered[0] % 2], sender, numbered[1])),
                enumerate(texts),
            )
        )
    assert all(t.ok for t in turns), turns
    tracker = stored_events(scaled.env["RASA_URL"], scaled.env["RASA_AUTH_TOKEN"], sender)
    # Each user message is followed by its whole turn, ending in action_listen, before the next.
    kinds = [
        e["event"] if e["event"] != "action" else e["name"]
        for e in tracker
        if e["event"] in ("user", "action")
    ]
    turns_stored = "|".join(kinds).split("|user|")
    assert kinds.count("user") == 5, kinds
    assert all(turn.endswith("action_listen") for turn in turns_stored[1:]), kinds


def test_a_dead_worker_costs_no_conversation(running: tuple[Topology, Supervisor]) -> None:
    scaled, supervisor = running
    # nginx sends each conversation to one worker: with six, some are almost surely on the one
    # killed (tests/ops/scaled/test_nginx.py checks the move itself, deterministically).
    senders = [f"survivor-{uuid.uuid4().hex[:8]}" for _ in range(6)]
    sent = {s: [say(scaled, s, "je ne reçois pas le mail de confirmation")] for s in senders}

    supervisor.stop_service(scaled.workers[0], hard=True)
    try:
        for sender in senders:
            for text in ("oui", "merci"):
                sent[sender].append(say(scaled, sender, text))
    finally:
        supervisor.start_service(scaled.workers[0])  # the next tests get both workers again

    assert all(t.ok for turns in sent.values() for t in turns)
    for sender, turns in sent.items():
        stored = stored_user_texts(scaled.env["RASA_URL"], scaled.env["RASA_AUTH_TOKEN"], sender)
        assert order_problem(turns, stored) is None


def test_nginx_config_names_every_worker_and_moves_on_from_a_failing_one() -> None:
    prefix = Path(tempfile.mkdtemp())
    try:
        config = nginx.write_config(prefix, 5005, [5101, 5102], 5055, [5151]).read_text()
    finally:
        shutil.rmtree(prefix)
    assert "server 127.0.0.1:5101" in config and "server 127.0.0.1:5102" in config
    assert "listen 127.0.0.1:5005" in config and "server 127.0.0.1:5151" in config
    assert "proxy_next_upstream error timeout" in config
    assert "hash $conversation consistent" in config


def test_while_postgresql_is_down_turns_fail_cleanly_and_then_the_conversation_goes_on(
    running: tuple[Topology, Supervisor],
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
    after = [say(scaled, sender, "yes") for _ in range(3)]
    sent += after

    assert during.status == 503 and during.replies == 0  # nothing answered out of context
    assert all(turn.ok for turn in after)  # the pools check their connections before use
    stored = stored_user_texts(scaled.env["RASA_URL"], scaled.env["RASA_AUTH_TOKEN"], sender)
    assert "yes" in stored and order_problem(sent, stored) is None


@pytest.mark.parametrize("value", ["0", "abc", "17", "-1"])
def test_a_bad_worker_count_is_refused_with_the_variable_named(value: str) -> None:
    env = {"RASA_PORT": "5005", "ACTIONS_PORT": "5055", "POSTGRES_PASSWORD": "p", "REDIS_PASSWORD": "r"}
    with pytest.raises(SettingsError, match=f"SCALED_RASA_WORKERS={value!r} is not valid"):
        ScaledSettings.read({**env, "SCALED_RASA_WORKERS": value})


@pytest.mark.skipif(os.geteuid() != 0, reason="the servers run as their own accounts only for root")
def test_a_data_folder_the_servers_cannot_reach_is_refused_with_the_way_out() -> None:
    closed = Path(tempfile.mkdtemp())  # 0700, like /root
    try:
        with pytest.raises(RuntimeError, match="SCALED_DATA"):
            check_reachable(closed / "var" / "scaled")
    finally:
        shutil.rmtree(closed)

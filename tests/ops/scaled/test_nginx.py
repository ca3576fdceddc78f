"""ops.scaled.nginx's routing, on the real nginx: each conversation's requests go to one Rasa
worker, whichever entry point carries them, and move to another worker only while theirs is down.

The workers here are two small HTTP servers that record which conversation each request named:
what is checked is nginx's choice of worker, made from the generated configuration."""

import json
import os
import shutil
import socket
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import support

from ops.scaled import nginx

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(NGINX), reason="nginx is not installed (make test installs it)"),
]


class Worker:
    """A loopback HTTP server standing for a Rasa worker: answers every request, remembers which
    conversation each one was for (the REST sender, the platform's id, or the API path)."""

    def __init__(self, port: int = 0) -> None:
        self.seen: list[str] = []
        self.connections: list[socket.socket] = []
        worker = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                worker.connections.append(self.connection)

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                worker.seen.append(body.get("conversation") or body.get("sender") or self.path)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"[]")

            do_GET = do_POST = _answer  # noqa: N815 (http.server's naming)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def stop(self) -> None:
        """Stops as a dead process would: the listening socket and every open connection (nginx
        keeps connections to its upstreams open, and a handler thread would go on serving them)."""
        self.server.shutdown()
        self.server.server_close()
        for connection in self.connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # closed already
            connection.close()


@contextmanager
def proxy(tmp_path: Path, workers: list[Worker]) -> Iterator[str]:
    """nginx as `make run-scaled` configures it, in front of `workers`; yields its URL."""
    port = support.free_port()
    config = nginx.write_config(
        tmp_path / "nginx", port, [w.port for w in workers], support.free_port(), [support.free_port()]
    )
    with support.running([nginx.service(NGINX, tmp_path / "nginx", config, port)], dict(os.environ)):
        yield f"http://127.0.0.1:{port}"


def post(url: str, body: dict) -> int:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def rest(url: str, sender: str) -> int:
    return post(f"{url}/webhooks/rest/webhook", {"sender": sender, "message": "I forgot my password"})


@pytest.fixture
def workers() -> Iterator[list[Worker]]:
    started = [Worker(), Worker()]
    yield started
    for worker in started:
        worker.stop()


def owner(workers: list[Worker], mark: str) -> int:
    """Index of the only worker that saw requests marked `mark`; fails when both did."""
    holders = [i for i, w in enumerate(workers) if mark in w.seen]
    assert len(holders) == 1, f"{mark} reached workers {holders}"
    return holders[0]


def test_each_conversation_stays_on_one_worker_whatever_its_entry_point(tmp_path: Path, workers) -> None:
    senders = [f"customer-{n}" for n in range(24)]
    with proxy(tmp_path, workers) as url:
        for _ in range(3):
            for sender in senders:
                assert rest(url, sender) == 200
        owners = {sender: owner(workers, sender) for sender in senders}
        assert set(owners.values()) == {0, 1}  # conversations are spread over both workers

        # Rasa's HTTP API names the conversation in its path: the same worker as its turns.
        with urllib.request.urlopen(f"{url}/conversations/customer-7/tracker", timeout=10) as response:
            assert response.status == 200
        assert workers[owners["customer-7"]].seen[-1] == "/conversations/customer-7/tracker"

        # The platforms' bodies: the id the connector makes the conversation of.
        messenger = {"object": "page", "entry": [{"messaging": [{"sender": {"id": "4242"}, "message": {}}]}]}
        telegram = {"update_id": 1, "message": {"chat": {"id": -1001234, "type": "private"}, "text": "hi"}}
        twitter = {"direct_message_events": [{"message_create": {"sender_id": "777", "target": {}}}]}
        for body, path in ((messenger, "messenger"), (telegram, "telegram"), (twitter, "twitter")):
            for turn in range(3):
                assert (
                    post(f"{url}/webhooks/{path}/webhook", {**body, "conversation": f"{path}-{turn}"}) == 200
                )
            assert len({owner(workers, f"{path}-{turn}") for turn in range(3)}) == 1


def test_a_dead_workers_conversations_move_and_the_others_stay(tmp_path: Path, workers) -> None:
    senders = [f"customer-{n}" for n in range(24)]
    with proxy(tmp_path, workers) as url:
        for sender in senders:
            assert rest(url, sender) == 200
        owners = {sender: owner(workers, sender) for sender in senders}
        workers[0].stop()
        for worker in workers:
            worker.seen.clear()
        for sender in senders:
            assert rest(url, sender) == 200  # the dead worker's conversations are answered too
        assert not workers[0].seen and len(workers[1].seen) == len(senders)

        # It comes back (nginx tries it again after fail_timeout): its conversations return to it.
        workers[0] = Worker(workers[0].port)

        def back() -> bool:
            workers[0].seen.clear()
            workers[1].seen.clear()
            for sender in senders:
                rest(url, sender)
            return {s for s in senders if owners[s] == 0} == set(workers[0].seen)

        support.wait_for(back, timeout=20, interval=1, message="the worker's conversations back on it")
        assert all(owners[s] == 1 for s in workers[1].seen)

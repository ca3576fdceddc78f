"""Helpers every test folder uses (importable as `support`: pyproject.toml puts tests/ on the path).

Servers: `running` is the one way a test starts one of ours (or Rasa, or rasa-sdk): as `make run`
starts them, through ops.processes.Supervisor, each waited for until its health URL answers and
all stopped whatever happens. `wait_for` is the one way to poll for something else.
"""

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TextIO, TypeVar

from ops.processes import Service, Supervisor

T = TypeVar("T")


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running(services: list[Service], env: dict[str, str], log: TextIO | None = None) -> Iterator[Supervisor]:
    """Starts `services` in order, each ready before the next, and stops them all on leaving.

    `env` is their whole environment; their output goes to `log` (default: the test's stdout,
    which pytest shows when a test fails).
    """
    supervisor = Supervisor(services, env, log)
    try:
        supervisor.start()
        yield supervisor
    finally:
        supervisor.stop()


def wait_for(
    condition: Callable[[], T], timeout: float = 20.0, interval: float = 0.3, message: str = "condition"
) -> T:
    """Polls `condition` until it returns something truthy; fails the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {message}")


@dataclass
class ScriptedServer:
    """A loopback HTTP server whose every answer is chosen by the test: slow, 500, 429..."""

    url: str
    status: int = 500
    # Answers for the first requests, in order; `status` after them.
    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0
    body: bytes = b'{"error":"internal_error"}'
    headers: dict[str, str] = field(default_factory=dict)
    requests: list[dict[str, str]] = field(default_factory=list)


@contextmanager
def scripted_server() -> Iterator[ScriptedServer]:
    """Runs a `ScriptedServer` on a free loopback port for the duration of the block."""
    script = ScriptedServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("Content-Length", "0"))
            self.rfile.read(length)
            script.requests.append({name.lower(): value for name, value in self.headers.items()})
            time.sleep(script.delay)
            status = script.statuses.pop(0) if script.statuses else script.status
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(script.body)))
                for name, value in script.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(script.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting, which is what a slow-server test wants

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    script.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield script
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

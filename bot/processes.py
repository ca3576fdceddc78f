"""Starting the assistant's processes together, and stopping every one of them.

`make run` starts three servers (account service, action server, Rasa) that
must come up in order, show their logs in one terminal, and all go away on
Ctrl-C or when any one of them dies; a half-started product is worse than
none. Each child runs in its own process group so that a stop reaches the
workers it spawned too.
"""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Set, Text, TextIO
from urllib.parse import urlsplit

from bot.environment import for_child

STOP_GRACE_SECONDS = 10.0


@dataclass
class Service:
    """One server of the product: how to start it and how to know it is ready.

    `health_url` is an HTTP URL answered once the server is ready, or `tcp://host:port` for
    servers that speak no HTTP (PostgreSQL, Redis). `user` runs it as another account: the
    Debian servers refuse to run as root. `secrets` names the secret variables it uses: it gets
    only those (bot.environment.for_child) and creates its files owner-only (umask 077, so its
    SQLite databases are 0600); None leaves both alone (the Debian servers).
    """

    name: Text
    argv: Sequence[Text]
    health_url: Text
    ready_timeout: float = 120.0
    user: Optional[Text] = None
    stop_signal: int = signal.SIGTERM
    on_ready: Optional[Callable[[], None]] = field(default=None, repr=False)
    cwd: Optional[Text] = None
    secrets: Optional[Sequence[Text]] = None
    process: Optional[subprocess.Popen] = field(default=None, repr=False)


def _relay(name: Text, stream, width: int, sink: TextIO) -> None:
    """Copies a child's output to `sink`, each line tagged with the child's name."""
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", "replace").rstrip()
        sink.write(f"{name:>{width}} | {line}\n")
        sink.flush()


def is_up(url: Text) -> bool:
    """Whether `url` answers with a non-5xx status (`tcp://` URLs: whether the port accepts)."""
    if url.startswith("tcp://"):
        parts = urlsplit(url)
        try:
            with socket.create_connection((parts.hostname, parts.port), timeout=2):
                return True
        except OSError:
            return False
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status < 500
    except urllib.error.HTTPError as error:
        return error.code < 500
    except (urllib.error.URLError, OSError):
        return False


class Supervisor:
    """Starts services in order and stops them all, whatever happens."""

    def __init__(
        self, services: List[Service], env: Dict[Text, Text], log: Optional[TextIO] = None
    ) -> None:
        """`log` receives the children's output (default: our standard output)."""
        self.services = services
        self.env = env
        self.log = log or sys.stdout
        self._width = max(len(s.name) for s in services)
        self._held: Set[Text] = set()

    def start(self) -> None:
        """Starts each service and waits until it is ready before the next one."""
        for service in self.services:
            self._launch(service)

    def service(self, name: Text) -> Service:
        """The service called `name`."""
        return next(s for s in self.services if s.name == name)

    def _launch(self, service: Service) -> None:
        if service.process and service.process.stdout:
            service.process.stdout.close()  # the previous run's pipe, when restarting
        service.process = subprocess.Popen(
            list(service.argv),
            env=for_child(self.env, service.secrets),
            umask=-1 if service.secrets is None else 0o077,
            cwd=service.cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            user=service.user,
            group=service.user,
            extra_groups=[] if service.user else None,
        )
        threading.Thread(
            target=_relay,
            args=(service.name, service.process.stdout, self._width, self.log),
            daemon=True,
        ).start()
        self._wait_ready(service)
        if service.on_ready:
            service.on_ready()

    def stop_service(self, name: Text, hard: bool = False) -> None:
        """Stops one service on purpose (SIGKILL when `hard`, as a crash would); `wait` lets it be."""
        service = self.service(name)
        self._held.add(name)
        self._terminate([service], signal.SIGKILL if hard else None)

    def start_service(self, name: Text) -> None:
        """Starts again a service stopped by `stop_service` and waits until it is ready."""
        self._launch(self.service(name))
        self._held.discard(name)

    def _wait_ready(self, service: Service) -> None:
        deadline = time.monotonic() + service.ready_timeout
        print(f"waiting for {service.name} ({service.health_url}) ...", file=self.log, flush=True)
        while time.monotonic() < deadline:
            if service.process.poll() is not None:
                raise RuntimeError(
                    f"{service.name} exited with status {service.process.returncode} while starting"
                )
            if is_up(service.health_url):
                print(f"{service.name} is ready", file=self.log, flush=True)
                return
            time.sleep(0.5)
        raise RuntimeError(f"{service.name} was not ready after {service.ready_timeout:.0f} s")

    def wait(self) -> int:
        """Blocks until a service exits (returning its status) or we are interrupted."""
        while True:
            for service in self.services:
                if service.name in self._held:
                    continue
                if service.process and service.process.poll() is not None:
                    print(f"{service.name} exited with status {service.process.returncode}",
                          flush=True)
                    return service.process.returncode or 1
            time.sleep(0.5)

    def stop(self) -> None:
        """Stops every service, last started first, each before the next (the Rasa workers finish
        their turns before PostgreSQL goes); deaf to further Ctrl-C so that no child is left."""
        deaf = threading.current_thread() is threading.main_thread()
        signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        previous = [signal.signal(signum, signal.SIG_IGN) for signum in signals] if deaf else []
        try:
            for service in reversed(self.services):
                self._terminate([service], None)
        finally:
            for signum, handler in zip(signals, previous):
                signal.signal(signum, handler)

    @staticmethod
    def _terminate(services: List[Service], signum: Optional[int]) -> None:
        """Sends `signum` (default: each service's stop signal), then SIGKILL after the grace period."""
        running = [s for s in services if s.process and s.process.poll() is None]
        for service in running:
            try:
                os.killpg(service.process.pid, signum or service.stop_signal)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for service in running:
            try:
                service.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(service.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                service.process.wait()


def stop_on_signals() -> None:
    """Ctrl-C, `kill` and a closed terminal all raise KeyboardInterrupt, so that the caller's
    `finally` stops every child, even when started in the background.

    A shell starts background jobs with SIGINT ignored; restoring Python's handler makes Ctrl-C
    work however the command was launched.
    """
    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGHUP, interrupt)

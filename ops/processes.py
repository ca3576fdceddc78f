"""Starting the assistant's processes together, keeping them up, and stopping every one of them.

`make run` starts its servers (account service, action server, Rasa, console) in order and shows
their logs in one terminal. A server that dies later is started again after a back-off (1 s,
doubling up to 30 s; back to 1 s once it has stayed up a minute), with a log line each time,
while the others keep serving: one crash must not become an outage. Ctrl-C, `kill` or a closed
terminal stop them all; further signals during the stop are ignored, so a second SIGTERM (make
forwards the one sent to its process group) cannot cut the stop short and leave a child holding
its port. The signal handler takes no lock: a second signal runs it again inside the first run,
and a lock (the `threading.Event` it once used) then deadlocked the launcher before it stopped
anything (the intermittent make-run hang of issue 10). The first signal is held back while the
supervisor is inside `subprocess` (starting, polling or reaping a child): raised there, it could
leave a started child unrecorded or `Popen`'s wait lock taken, and the stop would wait for ever
on that child. Each child runs in its own process group so that a stop reaches the workers it
spawned too.
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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, NoReturn, TextIO
from urllib.parse import urlsplit

from ops.environment import for_child

STOP_GRACE_SECONDS = 10.0
FIRST_RESTART_DELAY = 1.0
MAX_RESTART_DELAY = 30.0
# A service up this long is considered healthy again: its next crash restarts it after 1 s.
STABLE_SECONDS = 60.0


@dataclass
class Service:
    """One server of the product: how to start it and how to know it is ready.

    `health_url` is an HTTP URL answered once the server is ready, or `tcp://host:port` for
    servers that speak no HTTP (PostgreSQL, Redis). `user` runs it as another account: the
    Debian servers refuse to run as root.
    """

    name: str
    argv: Sequence[str]
    health_url: str
    ready_timeout: float = 120.0
    user: str | None = None
    stop_signal: int = signal.SIGTERM
    on_ready: Callable[[], None] | None = field(default=None, repr=False)
    cwd: str | None = None
    # Variables this service gets on top of the supervisor's environment.
    env: dict[str, str] = field(default_factory=dict)
    # The secret variables it uses: it gets only those (ops.environment.for_child) and creates its
    # files owner-only (umask 077, so its SQLite databases are 0600); None leaves both alone (the
    # Debian servers, whose needs are their own).
    secrets: Sequence[str] | None = None
    process: subprocess.Popen | None = field(default=None, repr=False)
    started_at: float = field(default=0.0, repr=False)
    restart_delay: float = field(default=FIRST_RESTART_DELAY, repr=False)
    restart_at: float | None = field(default=None, repr=False)


def _relay(name: str, stream: IO[bytes], width: int, sink: TextIO) -> None:
    """Copies a child's output to `sink`, each line tagged with the child's name."""
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", "replace").rstrip()
        sink.write(f"{name:>{width}} | {line}\n")
        sink.flush()


def is_up(url: str) -> bool:
    """Whether `url` answers with a non-5xx status (`tcp://` URLs: whether the port accepts)."""
    if url.startswith("tcp://"):
        parts = urlsplit(url)
        try:
            with socket.create_connection((parts.hostname, parts.port or 0), timeout=2):
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

    def __init__(self, services: list[Service], env: dict[str, str], log: TextIO | None = None) -> None:
        """`log` receives the children's output (default: our standard output)."""
        self.services = services
        self.env = env
        self.log = log or sys.stdout
        self._width = max(len(s.name) for s in services)
        self._held: set[str] = set()

    def start(self) -> None:
        """Starts each service and waits until it is ready before the next one."""
        for service in self.services:
            self._launch(service)

    def service(self, name: str) -> Service:
        """The service called `name`."""
        return next(s for s in self.services if s.name == name)

    def _launch(self, service: Service) -> None:
        self._spawn(service)
        self._wait_ready(service)
        if service.on_ready:
            service.on_ready()

    def _spawn(self, service: Service) -> None:
        if service.process and service.process.stdout:
            service.process.stdout.close()  # the previous run's pipe, when restarting
        service.started_at = time.monotonic()
        with signals_held():
            self._start_process(service)

    def _start_process(self, service: Service) -> None:
        service.process = subprocess.Popen(
            list(service.argv),
            env={**for_child(self.env, service.secrets), **service.env},
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

    def stop_service(self, name: str, hard: bool = False) -> None:
        """Stops one service on purpose (SIGKILL when `hard`, as a crash would); `wait` lets it be."""
        service = self.service(name)
        self._held.add(name)
        self._terminate([service], signal.SIGKILL if hard else None)

    def start_service(self, name: str) -> None:
        """Starts again a service stopped by `stop_service` and waits until it is ready."""
        self._launch(self.service(name))
        self._held.discard(name)

    def _wait_ready(self, service: Service) -> None:
        deadline = time.monotonic() + service.ready_timeout
        print(f"waiting for {service.name} ({service.health_url}) ...", file=self.log, flush=True)
        process = service.process
        assert process is not None, "launched before waiting"
        while time.monotonic() < deadline:
            if _poll(process) is not None:
                raise RuntimeError(f"{service.name} exited with status {process.returncode} while starting")
            if is_up(service.health_url):
                print(f"{service.name} is ready", file=self.log, flush=True)
                return
            time.sleep(0.5)
        raise RuntimeError(f"{service.name} was not ready after {service.ready_timeout:.0f} s")

    def wait(self) -> NoReturn:
        """Keeps the services up until we are interrupted (KeyboardInterrupt, see
        `stop_on_signals`): a service that exits is started again after its back-off."""
        while True:
            self.restart_exited()
            time.sleep(0.5)

    def restart_exited(self) -> None:
        """One look at every service: schedules the restart of one that exited, and starts
        those whose back-off is over (without waiting for them to be ready)."""
        now = time.monotonic()
        for service in self.services:
            if service.name in self._held or service.process is None:
                continue
            if service.restart_at is not None:
                if now >= service.restart_at:
                    service.restart_at = None
                    print(f"restarting {service.name}", file=self.log, flush=True)
                    self._spawn(service)
                continue
            status = _poll(service.process)
            if status is None:
                continue
            if now - service.started_at >= STABLE_SECONDS:
                service.restart_delay = FIRST_RESTART_DELAY
            print(
                f"{service.name} exited with status {status}; restarting it in {service.restart_delay:.0f} s",
                file=self.log,
                flush=True,
            )
            service.restart_at = now + service.restart_delay
            service.restart_delay = min(service.restart_delay * 2, MAX_RESTART_DELAY)

    def stop(self) -> None:
        """Stops every service, last started first, each before the next (the Rasa workers finish
        their turns before PostgreSQL goes). A signal that still arrives as KeyboardInterrupt
        (a handler other than `stop_on_signals`') restarts the stop of that service rather
        than abandoning the others."""
        deaf = threading.current_thread() is threading.main_thread()
        signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        previous = []
        try:
            if deaf:
                previous = [signal.signal(signum, signal.SIG_IGN) for signum in signals]
            for service in reversed(self.services):
                service.restart_at = None
                while True:
                    try:
                        self._terminate([service], None)
                        break
                    except KeyboardInterrupt:
                        continue
        finally:
            for signum, handler in zip(signals, previous, strict=True):
                signal.signal(signum, handler)

    @staticmethod
    def _terminate(services: list[Service], signum: int | None) -> None:
        """Sends `signum` (default: each service's stop signal), then SIGKILL after the grace period
        (with the stop signal held back: see `signals_held`)."""
        with signals_held():
            running = [(s, s.process) for s in services if s.process and s.process.poll() is None]
            for service, process in running:
                try:
                    os.killpg(process.pid, signum or service.stop_signal)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + STOP_GRACE_SECONDS
            for _service, process in running:
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    try:
                        os.killpg(process.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    process.wait()


def _poll(process: subprocess.Popen) -> int | None:
    """`process.poll()` with the stop signal held back (see `signals_held`)."""
    with signals_held():
        return process.poll()


class _Interrupt:
    """The state behind `stop_on_signals`: whether the stop signal came, and where it may be raised.

    Plain attributes, no lock: a signal handler can run again inside itself (a second signal
    arrives while the first is handled), and a lock it held would then never be released.
    """

    def __init__(self) -> None:
        self.received = False
        self.holding = 0  # depth of `signals_held` blocks the main thread is in
        self.pending = False  # received while held: raised when the outermost block ends

    def handle(self, signum: int, frame: object) -> None:
        if self.received:
            return
        self.received = True
        if self.holding:
            self.pending = True
            return
        raise KeyboardInterrupt


_interrupt: _Interrupt | None = None


@contextmanager
def signals_held() -> Iterator[None]:
    """Holds back the stop signal's KeyboardInterrupt until the block ends.

    `subprocess.Popen.poll` takes its wait lock before its `try`: an exception raised by a signal
    handler between the two leaves the lock taken, every later `poll` says "running" and `wait`
    blocks for ever, so the stop never ends. An interrupt inside `Popen(...)` would likewise start
    a child that nobody records or stops.
    Only the main thread runs signal handlers, so only its blocks are counted.
    """
    state = _interrupt
    if state is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    state.holding += 1
    try:
        yield
    finally:
        state.holding -= 1
    if state.holding == 0 and state.pending:
        state.pending = False
        raise KeyboardInterrupt


def stop_on_signals() -> None:
    """Ctrl-C, `kill` and a closed terminal raise KeyboardInterrupt once, so that the caller's
    `finally` stops every child, even when started in the background; every later signal is
    ignored, so that it cannot interrupt that stop (make forwards a group's SIGTERM, and an
    impatient user presses Ctrl-C twice). Inside `signals_held` blocks the interrupt waits for
    the block's end.

    A shell starts background jobs with SIGINT ignored; installing our handler makes Ctrl-C
    work however the command was launched.
    """
    global _interrupt
    _interrupt = _Interrupt()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _interrupt.handle)

"""Starting the assistant's processes together, and stopping every one of them.

`make run` starts three servers (account service, action server, Rasa) that
must come up in order, show their logs in one terminal, and all go away on
Ctrl-C or when any one of them dies; a half-started product is worse than
none. Each child runs in its own process group so that a stop reaches the
workers it spawned too.
"""

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Text

STOP_GRACE_SECONDS = 10.0


@dataclass
class Service:
    """One server of the product: how to start it and how to know it is ready."""

    name: Text
    argv: Sequence[Text]
    health_url: Text
    ready_timeout: float = 120.0
    process: Optional[subprocess.Popen] = field(default=None, repr=False)


def _relay(name: Text, stream, width: int) -> None:
    """Copies a child's output to ours, each line tagged with the child's name."""
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", "replace").rstrip()
        sys.stdout.write(f"{name:>{width}} | {line}\n")
        sys.stdout.flush()


def is_up(url: Text) -> bool:
    """Whether `url` answers with a non-5xx status."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status < 500
    except urllib.error.HTTPError as error:
        return error.code < 500
    except (urllib.error.URLError, OSError):
        return False


class Supervisor:
    """Starts services in order and stops them all, whatever happens."""

    def __init__(self, services: List[Service], env: Dict[Text, Text]) -> None:
        self.services = services
        self.env = env
        self._width = max(len(s.name) for s in services)

    def start(self) -> None:
        """Starts each service and waits until it is ready before the next one."""
        for service in self.services:
            service.process = subprocess.Popen(
                list(service.argv),
                env=self.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            threading.Thread(
                target=_relay,
                args=(service.name, service.process.stdout, self._width),
                daemon=True,
            ).start()
            self._wait_ready(service)

    def _wait_ready(self, service: Service) -> None:
        deadline = time.monotonic() + service.ready_timeout
        print(f"waiting for {service.name} ({service.health_url}) ...", flush=True)
        while time.monotonic() < deadline:
            if service.process.poll() is not None:
                raise RuntimeError(
                    f"{service.name} exited with status {service.process.returncode} while starting"
                )
            if is_up(service.health_url):
                print(f"{service.name} is ready", flush=True)
                return
            time.sleep(0.5)
        raise RuntimeError(f"{service.name} was not ready after {service.ready_timeout:.0f} s")

    def wait(self) -> int:
        """Blocks until a service exits (returning its status) or we are interrupted."""
        while True:
            for service in self.services:
                if service.process and service.process.poll() is not None:
                    print(f"{service.name} exited with status {service.process.returncode}",
                          flush=True)
                    return service.process.returncode or 1
            time.sleep(0.5)

    def stop(self) -> None:
        """SIGTERM to every process group, then SIGKILL to what is left after the grace period."""
        running = [s for s in self.services if s.process and s.process.poll() is None]
        for service in reversed(running):
            try:
                os.killpg(service.process.pid, signal.SIGTERM)
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

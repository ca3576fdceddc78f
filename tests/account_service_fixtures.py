"""Real account services for the tests: `python -m services.accounts` on free loopback ports.

Three instances, each started once per session and always stopped:
- `service`: the development setup (outbox on, demo data seeded);
- `quick_service`: links expire after about a second and deleted addresses
  have no cooldown, to test what happens "after" without waiting;
- `closed_service`: the production setup (outbox off, nothing seeded).
(`scripted_server`, for the client's failure paths, is in tests/conftest.py.) Helpers are
handed out as fixtures, since the tests folder is not a package to import from.
"""

import dataclasses
import os
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from support import free_port, running

from ops.services import account_service

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
START_TIMEOUT = 30.0
# A password that passes the article's rules (not common, zxcvbn score >= 2).
STRONG_PASSWORD = "kX9#mq2!vLp-Tz4"


def unique_email(prefix: str = "user") -> str:
    """An address no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"


@dataclass
class AccountService:
    """One running `python -m services.accounts` process."""

    url: str
    token: str
    database: Path
    log: Path
    running: ExitStack = field(repr=False)

    def client(self, token: str | None = None) -> httpx.Client:
        """An HTTP client for this service, sending `token` (default: the right one)."""
        headers = {"Authorization": f"Bearer {token if token is not None else self.token}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=10.0)

    def stop(self) -> None:
        self.running.close()


def _environment(**overrides: str) -> dict[str, str]:
    """This process's environment without any ACCOUNT_* setting, plus `overrides`."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("ACCOUNT_")}, **overrides}


def run_service(tmp: Path, *arguments: str, **env_overrides: str) -> subprocess.CompletedProcess:
    """Runs the service to completion (for start-up failures), bounded in time."""
    env = _environment(**{"ACCOUNT_DATABASE_URL": f"sqlite:///{tmp / 'accounts.db'}", **env_overrides})
    return subprocess.run(
        [PYTHON, "-m", "services.accounts", *arguments],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def start_service(tmp: Path, **env_overrides: str) -> AccountService:
    """Starts a service on a free port with its own SQLite file and token, and waits until it answers."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    token = secrets.token_urlsafe(24)
    database = tmp / "accounts.db"
    log = tmp / "service.log"
    defaults = {
        "ACCOUNT_API_TOKEN": token,
        "ACCOUNT_PORT": str(port),
        "ACCOUNT_HOST": "127.0.0.1",
        "ACCOUNT_DATABASE_URL": f"sqlite:///{database}",
        "ACCOUNT_PUBLIC_URL": url,
    }
    env = _environment(**{**defaults, **env_overrides})
    stack = ExitStack()
    log_file = stack.enter_context(open(log, "w"))
    # As `make run` starts it (ops.services), with this test's environment.
    spec = dataclasses.replace(account_service(env), ready_timeout=START_TIMEOUT, cwd=str(PROJECT_ROOT))
    try:
        stack.enter_context(running([spec], env, log_file))
    except BaseException:
        stack.close()
        raise
    return AccountService(url=url, token=token, database=database, log=log, running=stack)


@pytest.fixture(scope="session")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AccountService]:
    running = start_service(
        tmp_path_factory.mktemp("accounts"), ACCOUNT_DEV_OUTBOX="1", ACCOUNT_SEED_DEMO="1"
    )
    yield running
    running.stop()


@pytest.fixture(scope="session")
def quick_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AccountService]:
    running = start_service(
        tmp_path_factory.mktemp("accounts_quick"),
        ACCOUNT_DEV_OUTBOX="1",
        ACCOUNT_LINK_TTL_MINUTES="0.02",
        ACCOUNT_REUSE_COOLDOWN_DAYS="0",
    )
    yield running
    running.stop()


@pytest.fixture(scope="session")
def closed_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AccountService]:
    running = start_service(tmp_path_factory.mktemp("accounts_closed"))
    yield running
    running.stop()


@pytest.fixture
def api(service: AccountService) -> Iterator[httpx.Client]:
    with service.client() as client:
        yield client


def register(client: httpx.Client, email: str, password: str = STRONG_PASSWORD) -> None:
    """Creates an account, failing the test if the service refuses."""
    response = client.post("/v1/accounts", json={"email": email, "password": password})
    assert response.status_code == 201, response.text


def outbox(client: httpx.Client, email: str, expected: int = 1, wait: float = 5.0) -> list[dict[str, str]]:
    """The emails to `email`, waiting (bounded) until `expected` of them were queued.

    Emails are queued by a background task after the 202, so they appear a
    moment later; with `expected=0` this waits a little, then checks.
    """
    deadline = time.monotonic() + (wait if expected else 0.5)
    while True:
        response = client.get("/v1/outbox", params={"to": email})
        assert response.status_code == 200, response.text
        emails = response.json()
        if (expected and len(emails) >= expected) or time.monotonic() >= deadline:
            return emails
        time.sleep(0.05)


@pytest.fixture(scope="session")
def strong_password() -> str:
    return STRONG_PASSWORD


@pytest.fixture(scope="session")
def new_email() -> Callable[..., str]:
    return unique_email


@pytest.fixture(scope="session")
def create_account() -> Callable[..., None]:
    return register


@pytest.fixture(scope="session")
def emails_to() -> Callable[..., list[dict[str, str]]]:
    return outbox


@pytest.fixture(scope="session")
def service_run() -> Callable[..., subprocess.CompletedProcess]:
    """Runs `python -m services.accounts` with extra arguments and settings until it exits."""
    return run_service


@pytest.fixture
def free_url() -> str:
    """The URL of a loopback port where no service listens (a stopped service)."""
    return f"http://127.0.0.1:{free_port()}"

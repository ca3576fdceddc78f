"""The whole assistant, running for real: account service, action server and Rasa on loopback.

Started once per session from the model that `make test` trains into models/
(trained here if it is missing), on free ports, with its own tracker store and
account database in a temporary folder, and always stopped. Tests talk to it
over Rasa's REST channel exactly as a customer's client would.
"""

import os
import secrets
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import httpx
import pytest

from bot.processes import Service, Supervisor

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "assistant.tar.gz"


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Assistant:
    """A running assistant and what a test needs to talk to it and look inside."""

    def __init__(self, rasa_url: str, accounts_url: str, env: Dict[str, str]) -> None:
        self.rasa_url = rasa_url
        self.accounts_url = accounts_url
        self.env = env
        self.http = httpx.Client(timeout=60.0)

    def say(self, sender: str, text: str, metadata: Optional[Dict[str, Any]] = None) -> List[Dict[str, Any]]:
        """Sends a customer message on the REST channel; returns the replies."""
        body: Dict[str, Any] = {"sender": sender, "message": text}
        if metadata:
            body["metadata"] = metadata
        response = self.http.post(f"{self.rasa_url}/webhooks/rest/webhook", json=body)
        response.raise_for_status()
        return response.json()

    def tracker(self, sender: str) -> Dict[str, Any]:
        """The conversation as Rasa's HTTP API shows it."""
        response = self.http.get(
            f"{self.rasa_url}/conversations/{sender}/tracker",
            params={"token": self.env["RASA_AUTH_TOKEN"]},
        )
        response.raise_for_status()
        return response.json()

    def outbox(self, email: str) -> List[Dict[str, Any]]:
        """The emails the account service would have sent to `email`."""
        response = self.http.get(
            f"{self.accounts_url}/v1/outbox",
            params={"to": email},
            headers={"Authorization": f"Bearer {self.env['ACCOUNT_API_TOKEN']}"},
        )
        response.raise_for_status()
        return response.json()

    def create_account(self, email: str) -> None:
        """Registers `email` with a strong password, as the customer once did."""
        response = self.http.post(
            f"{self.accounts_url}/v1/accounts",
            json={"email": email, "password": "kX9#mq2!vLp-Tz4" + uuid.uuid4().hex[:6]},
            headers={"Authorization": f"Bearer {self.env['ACCOUNT_API_TOKEN']}"},
        )
        assert response.status_code == 201, response.text


@pytest.fixture(scope="session")
def model() -> Path:
    """The trained assistant; trained now when `make` did not do it first."""
    if not MODEL.exists():
        subprocess.run(
            [sys.executable, "-m", "rasa", "train", "--fixed-model-name", "assistant", "--out", "models"],
            cwd=ROOT, check=True, timeout=1800,
        )
    return MODEL


@pytest.fixture(scope="session")
def assistant(model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    """The three servers, started in order and stopped whatever happens."""
    work = tmp_path_factory.mktemp("assistant")
    rasa_port, actions_port, accounts_port = free_port(), free_port(), free_port()
    endpoints = work / "endpoints.yml"
    endpoints.write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{actions_port}/webhook"\n'
        f'tracker_store:\n  type: SQL\n  dialect: "sqlite"\n  db: "{work / "tracker.db"}"\n'
    )

    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("ACCOUNT_", "REST_CHANNEL"))},
        "ACCOUNT_API_TOKEN": secrets.token_urlsafe(24),
        "RASA_AUTH_TOKEN": secrets.token_urlsafe(24),
        "ACCOUNT_API_URL": f"http://127.0.0.1:{accounts_port}",
        "ACCOUNT_DATABASE_URL": f"sqlite:///{work / 'accounts.db'}",
        "ACCOUNT_DEV_OUTBOX": "1",
        "ACCOUNT_SEED_DEMO": "1",
    }
    services = [
        Service("accounts", [sys.executable, "-m", "bot.accounts", "--port", str(accounts_port)],
                f"http://127.0.0.1:{accounts_port}/health"),
        Service("actions", [sys.executable, "-m", "rasa_sdk", "--actions", "actions",
                            "--port", str(actions_port)],
                f"http://127.0.0.1:{actions_port}/health"),
        Service("rasa", [sys.executable, "-m", "rasa", "run", "--model", str(model),
                         "--port", str(rasa_port), "--enable-api",
                         "--auth-token", env["RASA_AUTH_TOKEN"],
                         "--credentials", str(ROOT / "credentials.yml"),
                         "--endpoints", str(endpoints)],
                f"http://127.0.0.1:{rasa_port}/", ready_timeout=300),
    ]
    supervisor = Supervisor(services, env)
    try:
        supervisor.start()
        yield Assistant(f"http://127.0.0.1:{rasa_port}", f"http://127.0.0.1:{accounts_port}", env)
    finally:
        supervisor.stop()


@pytest.fixture
def sender() -> str:
    """A conversation id no other test uses."""
    return f"test-{uuid.uuid4().hex[:12]}"

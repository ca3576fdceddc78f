"""Shared fixtures: a tiny trained Rasa model, a real `rasa run`, and fake platform APIs on loopback.

The fakes speak each platform's documented wire format and record what they receive, so the
tests assert what Messenger, X or Telegram would get from the real library clients
(pymessenger, tweepy, python-telegram-bot) that the connectors drive.
"""

import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fake_platforms import (
    POLL_SECONDS,
    SECRETS,
    WAIT_SECONDS,
    FakePlatforms,
    messenger_signature,
    twitter_signature,
)
from support import wait_for

PROJECT_ROOT = Path(__file__).resolve().parents[2]
if str(PROJECT_ROOT) not in sys.path:  # the tests import the connectors and bot packages
    sys.path.insert(0, str(PROJECT_ROOT))
PYTHON = str(PROJECT_ROOT / ".venv" / "bin" / "python")

CHANNEL_VARIABLES = tuple(SECRETS) + (
    "MESSENGER_API_VERSION",
    "MESSENGER_GRAPH_URL",
    "TWITTER_API_URL",
    "TWITTER_DM_API",
    "TELEGRAM_API_URL",
    "CONNECTOR_MAX_BODY_BYTES",
    "CONNECTOR_SEND_TIMEOUT",
    "MESSENGER_PROFILE_LOOKUP",
    "MESSENGER_PROFILE_TIMEOUT",
)
MAX_BODY_BYTES = 64 * 1024

CREDENTIALS = """\
connectors.rest.RestInput:
connectors.messenger.MessengerInput:
connectors.twitter.TwitterInput:
connectors.telegram.TelegramInput:
"""

DOMAIN = """\
version: "3.1"
intents: [greet, affirm, deny, forgot_email, other]
responses:
  utter_greet:
  - text: "Hello! Pick one:"
    buttons:
    - title: "Yes"
      payload: "/affirm"
    - title: "No"
      payload: "/deny"
    - title: "I forgot which email I registered with"
      payload: "/forgot_email"
  utter_affirm:
  - text: "Great, carry on."
  utter_deny:
  - text: "Okay, no problem."
  utter_forgot_email:
  - text: "Let's find your email."
  utter_other:
  - text: "Noted."
  utter_default:
  - text: "Sorry?"
session_config:
  session_expiration_time: 60
  carry_over_slots_to_new_session: true
"""

CONFIG = """\
recipe: default.v1
language: en
assistant_id: connectors-tests
pipeline:
- name: WhitespaceTokenizer
- name: KeywordIntentClassifier
  case_sensitive: false
policies:
- name: RulePolicy
"""

NLU = """\
version: "3.1"
nlu:
- intent: greet
  examples: |
    - hello
    - hi
- intent: affirm
  examples: |
    - yes
- intent: deny
  examples: |
    - no
- intent: forgot_email
  examples: |
    - which email
- intent: other
  examples: |
    - password
"""

RULES = """\
version: "3.1"
rules:
- rule: greet
  steps:
  - intent: greet
  - action: utter_greet
- rule: affirm
  steps:
  - intent: affirm
  - action: utter_affirm
- rule: deny
  steps:
  - intent: deny
  - action: utter_deny
- rule: forgot email
  steps:
  - intent: forgot_email
  - action: utter_forgot_email
- rule: other
  steps:
  - intent: other
  - action: utter_other
"""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A hard time limit per test of this folder (setup included), so nothing can hang CI."""
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.timeout(150))


# --- helpers ------------------------------------------------------------------------------


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def platforms() -> Iterator[FakePlatforms]:
    """The fake platform APIs, shared by the whole session."""
    fakes = FakePlatforms()
    fakes.start()
    yield fakes
    fakes.stop()


# --- Rasa ---------------------------------------------------------------------------------


def clean_environment() -> dict[str, str]:
    """The test process's environment without any channel variable it may have inherited."""
    env = {k: v for k, v in os.environ.items() if k not in CHANNEL_VARIABLES}
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    env["RASA_TELEMETRY_ENABLED"] = "false"
    return env


@pytest.fixture(scope="session")
def rasa_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny assistant trained into a temp folder: greet (three buttons), affirm, deny."""
    project = tmp_path_factory.mktemp("rasa_project")
    (project / "data").mkdir()
    (project / "domain.yml").write_text(DOMAIN)
    (project / "config.yml").write_text(CONFIG)
    (project / "data" / "nlu.yml").write_text(NLU)
    (project / "data" / "rules.yml").write_text(RULES)
    (project / "credentials.yml").write_text(CREDENTIALS)
    result = subprocess.run(
        [PYTHON, "-m", "rasa", "train", "--fixed-model-name", "tiny", "--out", "models"],
        cwd=project,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return project


@dataclass
class RasaServer:
    """A running `rasa run` and where to reach it."""

    process: subprocess.Popen
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def tracker(self, conversation_id: str) -> dict[str, Any]:
        answer = httpx.get(f"{self.url}/conversations/{conversation_id}/tracker", timeout=10)
        answer.raise_for_status()
        return answer.json()

    def user_events(self, conversation_id: str) -> list[dict[str, Any]]:
        return [e for e in self.tracker(conversation_id)["events"] if e["event"] == "user"]


def start_rasa(project: Path, env: dict[str, str], name: str) -> RasaServer:
    """Starts `rasa run` with the test credentials; returns once it has a port (not yet ready)."""
    port = free_port()
    log_path = project / f"{name}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "rasa",
                "run",
                "--model",
                str(project / "models" / "tiny.tar.gz"),
                "--credentials",
                str(project / "credentials.yml"),
                "--enable-api",
                "--interface",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=project,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return RasaServer(process, port, log_path)


def wait_ready(server: RasaServer, timeout: float = 90) -> None:
    """Waits until the model is loaded and the server answers."""

    def ready() -> bool:
        if server.process.poll() is not None:
            pytest.fail(f"rasa exited early:\n{server.log()[-3000:]}")
        try:
            status = httpx.get(f"{server.url}/status", timeout=2)
        except httpx.HTTPError:
            return False
        return status.status_code == 200 and bool(status.json().get("model_id"))

    wait_for(ready, timeout, POLL_SECONDS, "rasa run to be ready")


def stop_rasa(server: RasaServer) -> None:
    """Stops the process group, forcefully if it does not stop in time."""
    if server.process.poll() is None:
        os.killpg(server.process.pid, signal.SIGTERM)
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=10)


@pytest.fixture(scope="session")
def rasa_server(rasa_project: Path, platforms: FakePlatforms) -> Iterator[RasaServer]:
    """One `rasa run` with all four channels on, pointed at the fake platforms."""
    env = clean_environment()
    env.update(SECRETS)
    env.update(
        {
            "MESSENGER_GRAPH_URL": platforms.url("graph"),
            "TWITTER_API_URL": platforms.url("twitter"),
            "TELEGRAM_API_URL": platforms.url("telegram"),
            "CONNECTOR_MAX_BODY_BYTES": str(MAX_BODY_BYTES),
            "CONNECTOR_SEND_TIMEOUT": "5",
        }
    )
    server = start_rasa(rasa_project, env, "rasa-all-channels")
    try:
        wait_ready(server)
        yield server
    finally:
        stop_rasa(server)


def post_raw(url: str, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    """POSTs a body as raw bytes (as the platforms do); dicts and lists are JSON-encoded first."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(
        url, content=raw, headers={"Content-Type": "application/json", **(headers or {})}, timeout=10
    )


_ids = itertools.count(1)


@pytest.fixture
def new_id() -> Callable[[], str]:
    """Fresh numeric platform ids, so that no two tests share a conversation."""
    base = int(time.time()) % 10**6 * 10**6
    return lambda: str(10**12 + base + next(_ids))


@pytest.fixture
def messenger_post(rasa_server: RasaServer) -> Callable[..., httpx.Response]:
    """Posts a body to the Messenger webhook, signed like Meta does unless told otherwise."""

    def post(body: Any, signature: str | None = "sign") -> httpx.Response:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {}
        if signature == "sign":
            headers["X-Hub-Signature-256"] = messenger_signature(raw)
        elif signature is not None:
            headers["X-Hub-Signature-256"] = signature
        return post_raw(f"{rasa_server.url}/webhooks/messenger/webhook", raw, headers)

    return post


@pytest.fixture
def twitter_post(rasa_server: RasaServer) -> Callable[..., httpx.Response]:
    """Posts a body to the X webhook, signed like X does unless told otherwise."""

    def post(body: Any, signature: str | None = "sign") -> httpx.Response:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {}
        if signature == "sign":
            headers["x-twitter-webhooks-signature"] = twitter_signature(raw)
        elif signature is not None:
            headers["x-twitter-webhooks-signature"] = signature
        return post_raw(f"{rasa_server.url}/webhooks/twitter/webhook", raw, headers)

    return post


@pytest.fixture
def telegram_post(rasa_server: RasaServer) -> Callable[..., httpx.Response]:
    """Posts an update to the Telegram webhook with the secret token unless told otherwise."""

    def post(body: Any, secret: str | None = SECRETS["TELEGRAM_WEBHOOK_SECRET"]) -> httpx.Response:
        headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
        return post_raw(f"{rasa_server.url}/webhooks/telegram/webhook", body, headers)

    return post


@pytest.fixture
def secrets() -> dict[str, str]:
    """The test secrets the Rasa process runs with."""
    return dict(SECRETS)


@pytest.fixture
def signatures() -> SimpleNamespace:
    """Independent implementations of the platforms' signature schemes."""
    return SimpleNamespace(messenger=messenger_signature, twitter=twitter_signature)


@pytest.fixture
def wait() -> Callable[..., Any]:
    """`wait(check, timeout, what)`: support.wait_for, polling every POLL_SECONDS."""

    def wait_until(check: Callable[[], Any], timeout: float = WAIT_SECONDS, what: str = "") -> Any:
        return wait_for(check, timeout, POLL_SECONDS, what or "the condition")

    return wait_until


@pytest.fixture(scope="session")
def rasa_runner(rasa_project: Path) -> Iterator[SimpleNamespace]:
    """Extra `rasa run` processes with a chosen environment (on top of a clean one).

    `launch(env, name)` starts one and returns at once; `ready(server)` waits for its model;
    `outcome(server)` waits for one expected to stop by itself and returns (exit code, output).
    All are stopped at the end of the session.
    """
    started: list[RasaServer] = []

    def launch(overrides: dict[str, str], name: str) -> RasaServer:
        server = start_rasa(rasa_project, {**clean_environment(), **overrides}, name)
        started.append(server)
        return server

    def outcome(server: RasaServer, timeout: float = 90) -> "tuple[int | None, str]":
        try:
            server.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        return server.process.poll(), server.log()

    try:
        yield SimpleNamespace(launch=launch, ready=wait_ready, outcome=outcome)
    finally:
        for server in started:
            stop_rasa(server)

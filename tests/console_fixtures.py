"""Fixtures for the console tests: a console over a tracker file the test writes, the whole
assistant with its console, and a headless Chromium.

Every process is started by support.running, as `make run` starts them,
on free loopback ports, and stopped whatever happens.
"""

import json
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from console_support import CHROMIUM, CHROMIUM_ARGS, Console, Tracker, console_env, console_service
from fake_platforms import SECRETS as PLATFORM_SECRETS
from fake_platforms import FakePlatforms, messenger_signature
from playwright.sync_api import Browser, sync_playwright
from support import free_port, running

from ops.services import account_service, action_server, rasa_server

PROJECT_ROOT = Path(__file__).resolve().parents[1]
MODEL = PROJECT_ROOT / "models" / "assistant.tar.gz"


@dataclass
class BareConsole:
    """A console whose tracker store the test fills itself (no Rasa behind it)."""

    console: Console
    tracker: Tracker


def _bare_console(tmp_path_factory: pytest.TempPathFactory) -> BareConsole:
    """A started console with its own databases and the users agent1 and admin1."""
    work = tmp_path_factory.mktemp("console")
    tracker = Tracker(work / "tracker.db")
    # Rasa's address is a closed port: these consoles never reach an assistant.
    console = Console(console_env(work, tracker.path, f"http://127.0.0.1:{free_port()}", "no-rasa")).start()
    try:
        console.add_user("agent1")
        console.add_user("admin1", "admin")
    except BaseException:
        console.stop()
        raise
    return BareConsole(console, tracker)


@pytest.fixture
def make_console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], BareConsole]]:
    """Starts fresh consoles for one test; stops them after it."""
    started: list[BareConsole] = []

    def start() -> BareConsole:
        started.append(_bare_console(tmp_path_factory))
        return started[-1]

    try:
        yield start
    finally:
        for bare_console in started:
            bare_console.console.stop()


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BareConsole]:
    """One console per test module, over a tracker file the tests write."""
    bare_console = _bare_console(tmp_path_factory)
    try:
        yield bare_console
    finally:
        bare_console.console.stop()


@dataclass
class Stack:
    """The assistant (accounts, actions, Rasa with Messenger, X and Telegram pointed at fake
    platforms) and its console, all running."""

    console: Console
    rasa_url: str
    rasa_token: str
    platforms: FakePlatforms

    def messenger(self, psid: str, text: str) -> None:
        """A customer message on Messenger, signed as Meta signs it."""
        now = int(time.time() * 1000)
        event = {
            "sender": {"id": psid},
            "recipient": {"id": "1234567890"},
            "timestamp": now,
            "message": {"mid": f"m_{psid}_{time.monotonic_ns()}", "text": text},
        }
        body = json.dumps(
            {"object": "page", "entry": [{"id": "1234567890", "time": now, "messaging": [event]}]}
        ).encode()
        response = httpx.post(
            f"{self.rasa_url}/webhooks/messenger/webhook",
            content=body,
            timeout=30,
            headers={"Content-Type": "application/json", "X-Hub-Signature-256": messenger_signature(body)},
        )
        response.raise_for_status()

    def telegram(self, chat_id: int, text: str, sender: dict) -> None:
        """A customer message on Telegram from `sender` (the Bot API's User: first_name, ...),
        with the webhook's secret token as Telegram sends it."""
        update = {
            "update_id": time.monotonic_ns() % 10**9,
            "message": {
                "message_id": time.monotonic_ns() % 10**9,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "from": {"id": chat_id, "is_bot": False, **sender},
                "text": text,
            },
        }
        response = httpx.post(
            f"{self.rasa_url}/webhooks/telegram/webhook",
            json=update,
            timeout=30,
            headers={"X-Telegram-Bot-Api-Secret-Token": PLATFORM_SECRETS["TELEGRAM_WEBHOOK_SECRET"]},
        )
        response.raise_for_status()

    def say(self, sender: str, text: str) -> list:
        """A customer message on the REST channel; returns the assistant's replies."""
        response = httpx.post(
            f"{self.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60
        )
        response.raise_for_status()
        return response.json()

    def tracker(self, sender: str) -> dict:
        """The conversation as Rasa's HTTP API shows it."""
        response = httpx.get(
            f"{self.rasa_url}/conversations/{sender}/tracker", params={"token": self.rasa_token}, timeout=30
        )
        response.raise_for_status()
        return response.json()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The whole assistant from models/assistant.tar.gz, and the console over its tracker store.

    Module-scoped: stopped as soon as the browser tests are done, so that it never runs beside
    the other folders' assistants for the rest of the session.
    """
    if not MODEL.exists():
        pytest.fail("models/assistant.tar.gz is missing: `make test` trains it (or run `make train`)")
    work = tmp_path_factory.mktemp("stack")
    rasa_port, actions_port, accounts_port = free_port(), free_port(), free_port()
    tracker_db = work / "tracker.db"
    endpoints = work / "endpoints.yml"
    endpoints.write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{actions_port}/webhook"\n'
        "  enable_selective_domain: true\n"
        "tracker_store:\n  type: bot.runtime.tracker_store.SQLTrackerStore\n"
        f'  dialect: "sqlite"\n  db: "{tracker_db}"\n'
        "lock_store:\n  type: bot.runtime.lock_store.InMemoryTicketLockStore\n"
    )
    rasa_token = secrets.token_urlsafe(24)
    env = console_env(work, tracker_db, f"http://127.0.0.1:{rasa_port}", rasa_token)
    platforms = FakePlatforms()
    platforms.start()
    try:
        # Messenger, X and Telegram on, pointed at the fakes; REST stays open for the tests' customers.
        env.update({name: value for name, value in PLATFORM_SECRETS.items() if not name.startswith("REST_")})
        env.update(
            {
                "MESSENGER_GRAPH_URL": platforms.url("graph"),
                "TWITTER_API_URL": platforms.url("twitter"),
                "TELEGRAM_API_URL": platforms.url("telegram"),
            }
        )
        env.update(
            {
                "ACCOUNT_API_URL": f"http://127.0.0.1:{accounts_port}",
                "ACCOUNT_DATABASE_URL": f"sqlite:///{work / 'accounts.db'}",
                "ACCOUNT_DEV_OUTBOX": "1",
                "ACCOUNT_SEED_DEMO": "1",
                "RASA_HOST": "127.0.0.1",
                "RASA_PORT": str(rasa_port),
                "ACTIONS_PORT": str(actions_port),
                "ACCOUNT_PORT": str(accounts_port),
            }
        )
        # Started exactly as `make run` starts them, on this module's ports and files.
        services = [
            account_service(env),
            action_server(env),
            rasa_server(env, endpoints=endpoints, model=MODEL),
            console_service(env),
        ]
        with running(services, env):
            console = Console(env)
            console.add_user("alice")
            console.add_user("boss", "admin")
            yield Stack(console, f"http://127.0.0.1:{rasa_port}", rasa_token, platforms)
    finally:
        platforms.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium driven by Playwright (no browser download)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: `make test` installs it (Debian packages chromium, chromium-driver)"
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=60_000)
        try:
            yield chromium
        finally:
            chromium.close()

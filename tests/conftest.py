"""Fixtures shared by every test folder."""

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import support

# Fixtures more than one folder uses: the account service (tests/services/accounts, and
# tests/actions for the client) and the console (tests/services/console, tests/e2e/browser).
pytest_plugins = ["account_service_fixtures", "console_fixtures"]

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "assistant.tar.gz"
E2E = Path(__file__).resolve().parent / "e2e"
# Fixtures that start a process of their own (a service, Rasa, rasa-sdk, Chromium, PostgreSQL):
# a test using one, directly or through another fixture, is marked `slow`.
PROCESS_FIXTURES = {
    "service",
    "quick_service",
    "closed_service",
    "service_run",
    "action_server",
    "bare",
    "make_console",
    "stack",
    "browser",
    "rasa_server",
    "rasa_runner",
    "postgresql",
    "model",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tiers: everything under tests/e2e/ is `e2e`; a test that starts a process is `slow`.
    `pytest -m "not e2e and not slow"` runs the rest in seconds (`make test-fast`)."""
    for item in items:
        if E2E in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)
        elif PROCESS_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def scripted_server() -> Iterator[support.ScriptedServer]:
    """A loopback HTTP server answering as the test says (status, delay, body, headers)."""
    with support.scripted_server() as server:
        yield server


@pytest.fixture(scope="session")
def model() -> Path:
    """The trained assistant; trained now when `make` did not do it first."""
    if not MODEL.exists():
        subprocess.run(
            [sys.executable, "-m", "rasa", "train", "--fixed-model-name", "assistant", "--out", "models"],
            cwd=ROOT,
            check=True,
            timeout=1800,
        )
    return MODEL

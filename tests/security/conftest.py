"""Fixtures for the attack tests: the connectors' real `rasa run` and fake platforms, reused.

Those live in tests/connectors/conftest.py, which pytest only applies to its folder; it is loaded
here under its own module name (importable by the tests as `connector_fixtures`) and the fixtures
re-exported, so every folder starts the same servers the same way. The account service's and the
console's fixtures are project-wide plugins already (tests/conftest.py).
"""

import importlib.util
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from support import wait_for

_TESTS = Path(__file__).resolve().parents[1]
RUNTIME_TOKEN = "runtime-api-token-0123456789"


def _load(name: str, source: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, source)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


connector_fixtures = _load("connector_fixtures", _TESTS / "connectors" / "conftest.py")

platforms = connector_fixtures.platforms
rasa_project = connector_fixtures.rasa_project
rasa_server = connector_fixtures.rasa_server
new_id = connector_fixtures.new_id


@pytest.fixture(scope="session")
def runtime_server(rasa_project: Path, platforms) -> Iterator:
    """The connectors' tiny assistant served by bot.runtime.server (as `make run` serves the real
    one), with every channel on and the token-guarded HTTP API."""
    cf = connector_fixtures
    port = cf.free_port()
    env = cf.clean_environment()
    env.update(cf.SECRETS)
    env.update(
        {
            "RASA_AUTH_TOKEN": RUNTIME_TOKEN,
            "CONNECTOR_MAX_BODY_BYTES": str(cf.MAX_BODY_BYTES),
            "MESSENGER_GRAPH_URL": platforms.url("graph"),
            "TWITTER_API_URL": platforms.url("twitter"),
            "TELEGRAM_API_URL": platforms.url("telegram"),
        }
    )
    log_path = rasa_project / "rasa-runtime.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                cf.PYTHON,
                "-m",
                "bot.runtime",
                "run",
                "--model",
                str(rasa_project / "models" / "tiny.tar.gz"),
                "--credentials",
                str(rasa_project / "credentials.yml"),
                "--enable-api",
                "--interface",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=rasa_project,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = cf.RasaServer(process, port, log_path)
    try:
        wait_for(lambda: _answers(server), 120, message="bot.runtime to be ready")
        yield server
    finally:
        cf.stop_rasa(server)


def _answers(server) -> bool:
    if server.process.poll() is not None:
        pytest.fail(f"rasa exited early:\n{server.log()[-3000:]}")
    try:
        return httpx.get(f"{server.url}/", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False

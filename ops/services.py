"""How each of the product's servers is started, for `make run`, `make run-scaled` and the bench.

One definition per server keeps the three ways of starting the product from drifting apart.
"""

import sys
from pathlib import Path

from ops.environment import ROOT
from ops.processes import Service

MODELS = ROOT / "models"


def python() -> str:
    """The interpreter we run in: the project's venv."""
    return sys.executable


def account_service(env: dict[str, str]) -> Service:
    """The reference account service (services.accounts), configured by ACCOUNT_* variables."""
    port = env["ACCOUNT_PORT"]
    return Service(
        "accounts",
        [python(), "-m", "services.accounts", "--port", port],
        f"http://127.0.0.1:{port}/health",
    )


def action_server(env: dict[str, str], port: str | None = None, name: str = "actions") -> Service:
    """rasa-sdk serving actions/; the scaled topology runs several under other names and ports.

    It listens on ACTIONS_HOST (127.0.0.1 by default: only Rasa calls it; rasa-sdk's own default
    is every interface), which rasa-sdk reads as SANIC_HOST.
    """
    port = port or env["ACTIONS_PORT"]
    return Service(
        name,
        [python(), "-m", "rasa_sdk", "--actions", "actions", "--port", port],
        f"http://127.0.0.1:{port}/health",
        env={"SANIC_HOST": env.get("ACTIONS_HOST", "127.0.0.1")},
    )


def rasa_server(
    env: dict[str, str],
    port: str | None = None,
    name: str = "rasa",
    endpoints: Path = ROOT / "endpoints.yml",
    model: Path = MODELS,
) -> Service:
    """A Rasa server with the REST channel, the connectors and the token-guarded HTTP API.

    The token reaches it as RASA_AUTH_TOKEN in its environment (bot.runtime.server passes it on),
    not on its command line, where every local user could read it.
    """
    port = port or env["RASA_PORT"]
    return Service(
        name,
        [
            python(),
            "-m",
            "bot.runtime",
            "run",
            "--model",
            str(model),
            "--interface",
            env["RASA_HOST"],
            "--port",
            port,
            "--enable-api",
            "--credentials",
            str(ROOT / "credentials.yml"),
            "--endpoints",
            str(endpoints),
        ],
        f"http://127.0.0.1:{port}/",
        ready_timeout=300.0,
    )


def console_server(env: dict[str, str]) -> Service:
    """The agents' console (services.console), configured by CONSOLE_* variables."""
    port = env["CONSOLE_PORT"]
    return Service(
        "console",
        [python(), "-m", "services.console", "serve", "--port", port],
        f"http://127.0.0.1:{port}/health",
    )

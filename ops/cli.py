"""`python -m ops COMMAND`: the commands people run around the assistant.

    run                 start the account service, the action server, Rasa and the agents'
                        console; Ctrl-C stops all
    run-scaled          the same product on PostgreSQL, Redis and nginx with several Rasa workers
    shell               talk to the assistant in this terminal (the services start behind it)
    telegram-webhook    register the Telegram webhook with its secret

`make run` and `make shell` call the first two after setting up the venv and
training the model.
"""

import argparse
import asyncio
import os
import subprocess
import sys
from collections.abc import Sequence

from ops.environment import ROOT, local_environment
from ops.processes import Service, Supervisor, stop_on_signals
from ops.services import (
    MODELS,
    account_service,
    action_server,
    console_server,
    python,
    rasa_server,
)


def _model_missing() -> bool:
    """Whether there is no model to serve, said on stderr: the servers would start and then
    fail one by one with Rasa's own, less helpful, message."""
    if any(MODELS.glob("*.tar.gz")):
        return False
    print(
        "error: no trained model in models/: run `make run` (it trains one) or `make train`", file=sys.stderr
    )
    return True


def _banner(env: dict[str, str]) -> str:
    rasa = f"http://127.0.0.1:{env['RASA_PORT']}"
    accounts = f"http://127.0.0.1:{env['ACCOUNT_PORT']}"
    return "\n".join(
        [
            "",
            "The assistant is running. Ctrl-C stops everything.",
            f"  REST channel     {rasa}/webhooks/rest/webhook",
            f"  Rasa HTTP API    {rasa}/status?token=$RASA_AUTH_TOKEN   (token in .env)",
            f"  action server    http://127.0.0.1:{env['ACTIONS_PORT']}/health",
            f"  account service  {accounts}/openapi.json   (Bearer $ACCOUNT_API_TOKEN, in .env)",
            f"  dev outbox       {accounts}/dev/outbox",
            f"  agents' console  http://127.0.0.1:{env['CONSOLE_PORT']}/   (first account: "
            ".venv/bin/python -m services.console create-user NAME --role admin)",
            "Talk to it:",
            f"  curl -s {rasa}/webhooks/rest/webhook -H 'Content-Type: application/json' \\",
            '       -d \'{"sender": "demo", "message": "I forgot my password"}\'',
            "",
        ]
    )


def run(services: list[Service], env: dict[str, str], banner: str | None = None) -> int:
    """Starts `services`, prints `banner`, waits, and always stops them all."""
    stop_on_signals()
    supervisor = Supervisor(services, env)
    try:
        supervisor.start()
        if banner:
            print(banner, flush=True)
        supervisor.wait()
    except KeyboardInterrupt:
        print("\nstopping ...", flush=True)
        return 0
    except (RuntimeError, OSError) as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
        return 1
    finally:
        supervisor.stop()


def command_run(args: argparse.Namespace) -> int:
    if _model_missing():
        return 1
    env = local_environment()
    services = [account_service(env), action_server(env), rasa_server(env), console_server(env)]
    return run(services, env, _banner(env))


def command_run_scaled(args: argparse.Namespace) -> int:
    from ops.scaled.debian import MissingServer
    from ops.scaled.topology import build

    if _model_missing():
        return 1
    env = local_environment()
    if args.workers:
        env["SCALED_RASA_WORKERS"] = str(args.workers)
    try:
        topology = build(env)
    except (MissingServer, ValueError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    workers = ", ".join(
        f"{name} :{port}" for name, port in zip(topology.workers, topology.worker_ports, strict=True)
    )
    banner = _banner(topology.env) + "\n".join(
        [
            f"Scaled: nginx :{env['RASA_PORT']} -> {workers}; actions behind nginx "
            f":{env['ACTIONS_PORT']}; PostgreSQL :{topology.env['POSTGRES_PORT']} "
            f"(tracker, accounts, console); Redis lock store :{topology.env['REDIS_PORT']}.",
            "",
        ]
    )
    return run(topology.services, topology.env, banner)


def command_shell(args: argparse.Namespace) -> int:
    if _model_missing():
        return 1
    env = local_environment()
    stop_on_signals()
    supervisor = Supervisor([account_service(env), action_server(env)], env)
    try:
        supervisor.start()
        return subprocess.call(
            [
                python(),
                "-m",
                "bot.runtime",
                "shell",
                "--model",
                str(MODELS),
                "--endpoints",
                str(ROOT / "endpoints.yml"),
                "--port",
                env["RASA_PORT"],
            ],
            env=env,
        )
    except KeyboardInterrupt:
        return 0
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        supervisor.stop()


def command_telegram_webhook(args: argparse.Namespace) -> int:
    from connectors.telegram import register_webhook

    os.environ.update({k: v for k, v in local_environment().items() if k not in os.environ})
    try:
        url = asyncio.run(register_webhook(args.public_url))
    except Exception as error:  # the platform's own message is the useful part
        print(f"error: could not register the webhook: {error}", file=sys.stderr)
        return 1
    print(f"Telegram webhook registered: {url}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="start everything (account service, actions, Rasa)")
    scaled = commands.add_parser(
        "run-scaled", help="start everything on PostgreSQL, Redis and nginx with several Rasa workers"
    )
    scaled.add_argument(
        "--workers",
        type=int,
        choices=range(1, 17),
        metavar="N",
        help="Rasa workers behind nginx (default $SCALED_RASA_WORKERS or 2)",
    )
    commands.add_parser("shell", help="talk to the assistant in the terminal")
    webhook = commands.add_parser("telegram-webhook", help="register the Telegram webhook")
    webhook.add_argument(
        "public_url",
        help="the public HTTPS base URL of the Rasa server, e.g. https://example.ngrok.app "
        "(the Telegram route is added to it)",
    )
    args = parser.parse_args(argv)
    handlers = {
        "run": command_run,
        "run-scaled": command_run_scaled,
        "shell": command_shell,
        "telegram-webhook": command_telegram_webhook,
    }
    os.chdir(ROOT)
    (ROOT / "var").mkdir(exist_ok=True)  # the SQLite files of endpoints.yml and the account service
    return handlers[args.command](args)

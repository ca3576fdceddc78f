"""`python -m bot COMMAND`: the commands people run around the assistant.

    run                 start the account service, the action server, Rasa and the agents'
                        console; Ctrl-C stops all
    shell               talk to the assistant in this terminal (the services start behind it)
    telegram-webhook    register the Telegram webhook with its secret

`make run` and `make shell` call the first two after setting up the venv and
training the model.
"""

import argparse
import asyncio
import os
import signal
import subprocess
import sys
from typing import Dict, List, Optional, Sequence, Text

from bot.environment import ROOT, local_environment
from bot.processes import Service, Supervisor

MODELS = ROOT / "models"


def _python() -> Text:
    return sys.executable


def account_service(env: Dict[Text, Text]) -> Service:
    port = env["ACCOUNT_PORT"]
    return Service(
        "accounts",
        [_python(), "-m", "bot.accounts", "--port", port],
        f"http://127.0.0.1:{port}/health",
    )


def action_server(env: Dict[Text, Text]) -> Service:
    port = env["ACTIONS_PORT"]
    return Service(
        "actions",
        [_python(), "-m", "rasa_sdk", "--actions", "actions", "--port", port],
        f"http://127.0.0.1:{port}/health",
    )


def rasa_server(env: Dict[Text, Text]) -> Service:
    port = env["RASA_PORT"]
    return Service(
        "rasa",
        [
            _python(), "-m", "rasa", "run",
            "--model", str(MODELS),
            "--interface", env["RASA_HOST"], "--port", port,
            "--enable-api", "--auth-token", env["RASA_AUTH_TOKEN"],
            "--credentials", str(ROOT / "credentials.yml"),
            "--endpoints", str(ROOT / "endpoints.yml"),
        ],
        f"http://127.0.0.1:{port}/",
        ready_timeout=300.0,
    )


def console_server(env: Dict[Text, Text]) -> Service:
    port = env["CONSOLE_PORT"]
    return Service(
        "console",
        [_python(), "-m", "bot.console", "serve", "--port", port],
        f"http://127.0.0.1:{port}/health",
    )


def _require_model() -> Optional[Text]:
    if not any(MODELS.glob("*.tar.gz")):
        return "no trained model in models/: run `make run` (it trains one) or `make train`"
    return None


def _banner(env: Dict[Text, Text]) -> Text:
    rasa = f"http://127.0.0.1:{env['RASA_PORT']}"
    accounts = f"http://127.0.0.1:{env['ACCOUNT_PORT']}"
    return "\n".join([
        "",
        "The assistant is running. Ctrl-C stops everything.",
        f"  REST channel     {rasa}/webhooks/rest/webhook",
        f"  Rasa HTTP API    {rasa}/status?token=$RASA_AUTH_TOKEN   (token in .env)",
        f"  action server    http://127.0.0.1:{env['ACTIONS_PORT']}/health",
        f"  account service  {accounts}/openapi.json   (Bearer $ACCOUNT_API_TOKEN, in .env)",
        f"  dev outbox       {accounts}/dev/outbox",
        f"  agents' console  http://127.0.0.1:{env['CONSOLE_PORT']}/   (first account: "
        ".venv/bin/python -m bot.console create-user NAME --role admin)",
        "Talk to it:",
        f"  curl -s {rasa}/webhooks/rest/webhook -H 'Content-Type: application/json' \\",
        "       -d '{\"sender\": \"demo\", \"message\": \"I forgot my password\"}'",
        "",
    ])


def _stop_on_signals() -> None:
    """Ctrl-C, `kill` and a closed terminal all stop everything, even when started in the background.

    A shell starts background jobs with SIGINT ignored; restoring Python's
    handler makes Ctrl-C work however `make run` was launched.
    """
    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGHUP, interrupt)


def run(services: List[Service], env: Dict[Text, Text], banner: Optional[Text] = None) -> int:
    """Starts `services`, prints `banner`, waits, and always stops them all."""
    _stop_on_signals()
    supervisor = Supervisor(services, env)
    try:
        supervisor.start()
        if banner:
            print(banner, flush=True)
        return supervisor.wait()
    except KeyboardInterrupt:
        print("\nstopping ...", flush=True)
        return 0
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
        return 1
    finally:
        supervisor.stop()


def command_run(args: argparse.Namespace) -> int:
    problem = _require_model()
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    env = local_environment()
    services = [account_service(env), action_server(env), rasa_server(env), console_server(env)]
    return run(services, env, _banner(env))


def command_shell(args: argparse.Namespace) -> int:
    problem = _require_model()
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    env = local_environment()
    _stop_on_signals()
    supervisor = Supervisor([account_service(env), action_server(env)], env)
    try:
        supervisor.start()
        return subprocess.call(
            [_python(), "-m", "rasa", "shell", "--model", str(MODELS),
             "--endpoints", str(ROOT / "endpoints.yml"), "--port", env["RASA_PORT"]],
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


def main(argv: Optional[Sequence[Text]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="start everything (account service, actions, Rasa)")
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
        "shell": command_shell,
        "telegram-webhook": command_telegram_webhook,
    }
    os.chdir(ROOT)
    (ROOT / "var").mkdir(exist_ok=True)  # the SQLite files of endpoints.yml and the account service
    return handlers[args.command](args)

"""`python -m services.console COMMAND`: run the agents' console and look after its data.

    serve         start the console (http://127.0.0.1:8002 by default)
    create-user   add an agent or admin account (the password is asked for, or read from stdin)
    users         list the accounts; disable, enable, change the role or reset the password of one
    purge         erase every conversation idle for more than CONSOLE_RETENTION_DAYS days
    erase         erase one customer's conversations, by id or by a string they contain (an address)

Settings come from the environment and the project's .env (see services.console.settings).
A bad setting, an unreachable database or a busy port ends the command with one line
on stderr and exit status 2, not a traceback.
"""

import argparse
import asyncio
import getpass
import logging
import os
import pwd
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ops.environment import local_environment
from services.console.auth import ROLES
from services.console.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from services.console.retention import Erased


def _fail(message: str) -> int:
    print(f"services.console: error: {message}", file=sys.stderr)
    return 2


def _configure_logging() -> None:
    """Our own log lines on stderr (Sanic's loggers have their handlers already).

    httpx's request lines would carry Rasa's token in the URL: held at WARNING.
    """
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("services")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logging.getLogger("httpx").setLevel(logging.WARNING)


def _engines(settings: Settings) -> tuple["Engine", "Engine"]:
    """The tracker store and the console's database."""
    from services.console.schema import open_console_db, open_tracker_db

    return open_tracker_db(settings.tracker_db_url), open_console_db(settings.console_db_url)


def command_serve(settings: Settings, args: argparse.Namespace) -> int:
    from sanic.server.socket import bind_socket

    from services.console.app import create_app

    host, port = args.host or settings.host, args.port or settings.port
    app = create_app(settings)
    try:
        # Bound here rather than by Sanic, which logs a traceback and exits 0 when the port is busy.
        listener = bind_socket(host, port)
    except OSError as error:
        return _fail(f"cannot listen on {host}:{port}: {error.strerror or error}")
    print(f"console: http://{host}:{port}/", flush=True)
    app.run(sock=listener, access_log=False, motd=False)
    return 0


def operator(role: str = "") -> str:
    """Who runs this command, as the audit trail names them: the system account, which the
    operator cannot choose from the command line (unlike a typed name)."""
    try:
        account = pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        account = f"uid {os.getuid()}"
    return f"cli:{account}" + (f" ({role})" if role else "")


class Interrupted(Exception):
    """The person at the terminal pressed Ctrl-C or closed the input at a password prompt."""


def _read_password(from_stdin: bool) -> str:
    """The new password: the first line of stdin (for scripts: `--password-stdin`), or typed twice."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    try:
        first = getpass.getpass("password: ")
        again = getpass.getpass("again: ")
    except (KeyboardInterrupt, EOFError):
        print(file=sys.stderr)
        raise Interrupted from None
    if again != first:
        raise ValueError("the two passwords differ")
    return first


def cli_actor(args: argparse.Namespace) -> str:
    """Who the audit trail names for a change made at a terminal: the system account (which the
    operator cannot choose), with the `--by` name as who asked for it."""
    by = getattr(args, "by", None)
    return operator() + (f", requested by {by}" if by else "")


def command_create_user(settings: Settings, args: argparse.Namespace) -> int:
    from services.console import users
    from services.console.auth import AccountError
    from services.console.schema import open_console_db

    try:
        password = _read_password(args.password_stdin)
        user = users.create(
            open_console_db(settings.console_db_url), args.username, password, args.role, cli_actor(args)
        )
    except (AccountError, ValueError) as error:
        return _fail(str(error))
    print(f"created {user.role} {user.username}")
    return 0


def command_users(settings: Settings, args: argparse.Namespace) -> int:
    from services.console import users
    from services.console.auth import AccountError
    from services.console.schema import open_console_db

    engine = open_console_db(settings.console_db_url)
    actor = cli_actor(args)
    try:
        if args.action == "list":
            for account in users.accounts(engine):
                state = "disabled" if account["disabled"] else "active"
                print(f"{account['username']}\t{account['role']}\t{state}")
            return 0
        if not args.username:
            return _fail(f"users {args.action} needs the account's name")
        if args.action in ("disable", "enable"):
            users.set_disabled(engine, args.username, args.action == "disable", actor)
        elif args.action == "set-role":
            if not args.role:
                return _fail("users set-role needs --role agent or --role admin")
            users.set_role(engine, args.username, args.role, actor)
        else:
            users.reset_password(engine, args.username, _read_password(args.password_stdin), actor)
    except (AccountError, ValueError) as error:
        return _fail(str(error))
    print(f"{args.action}: {args.username} done")
    return 0


def command_purge(settings: Settings, args: argparse.Namespace) -> int:
    from services.console.retention import Erased, idle_conversations, purge
    from services.console.sync import sync

    tracker, console = _engines(settings)
    sync(tracker, console, settings.low_confidence)
    days = args.days or settings.retention_days
    # The account service first, by conversation only (an address of an idle conversation may
    # belong to a newer one): if it cannot, nothing is purged and the next run tries again.
    failed = _erase_account_copies(
        settings, console, Erased(idle_conversations(tracker, console, days), 0), "purge"
    )
    if failed:
        return failed
    erased = purge(tracker, console, days, operator(args.by))
    print(
        f"purged {len(erased.conversation_ids)} conversations ({erased.event_count} events) "
        f"idle for more than {days:g} days"
    )
    return 0


def _erase_account_copies(settings: Settings, console: "Engine", erased: "Erased", action: str) -> int:
    """Asks the account service to erase its copies (tickets, queued emails, idempotency keys,
    rate-limit records) of what `erased` names, before anything is deleted here; says so when it
    cannot (exit status 2)."""
    from actions.account_api import AccountApiClient, AccountApiUnavailable
    from services.console.retention import erase_in_account_service

    if not erased.conversation_ids:
        return 0
    if not settings.account_api_token:
        print(
            "warning: ACCOUNT_API_TOKEN is not set, so the account service's copies (tickets, "
            "queued emails, idempotency keys) were not erased",
            file=sys.stderr,
        )
        return 0
    client = AccountApiClient(settings.account_api_url, settings.account_api_token or "")
    try:
        counts = asyncio.run(erase_in_account_service(client, console, erased, operator(), action))
    except AccountApiUnavailable as failure:
        return _fail(
            f"nothing was erased: the account service cannot erase its copies ({failure}); run "
            "the same command again once it answers"
        )
    print("account service: " + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(counts.items())))
    return 0


def command_erase(settings: Settings, args: argparse.Namespace) -> int:
    from services.console.retention import conversations_mentioning, erasable, erase

    tracker, console = _engines(settings)
    ids: list[str] = list(args.conversation or [])
    if args.mentioning:
        try:
            ids += conversations_mentioning(tracker, args.mentioning)
        except ValueError as error:
            return _fail(str(error))
    if not ids:
        return _fail("nothing to erase: give --conversation ID or --mentioning TEXT")
    if args.dry_run:
        print("\n".join(sorted(set(ids))))
        return 0
    failed = _erase_account_copies(settings, console, erasable(tracker, console, ids), "erase")
    if failed:
        return failed
    erased = erase(tracker, console, ids, operator(), f"requested by {args.by}")
    print(
        f"erased {len(erased.conversation_ids)} conversations ({erased.event_count} events): "
        + ", ".join(erased.conversation_ids)
    )
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m services.console", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="start the console")
    serve.add_argument("--host", help="address to listen on (default $CONSOLE_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default $CONSOLE_PORT or 8002)")
    user = commands.add_parser("create-user", help="add an agent or admin account")
    user.add_argument("username")
    user.add_argument("--role", choices=ROLES, default="agent")
    user.add_argument(
        "--password-stdin", action="store_true", help="read the password from the first line of stdin"
    )
    user.add_argument("--by", help="who creates the account, for the audit trail (default: cli)")
    accounts = commands.add_parser(
        "users", help="list or change the agents' accounts (each change is audited)"
    )
    accounts.add_argument("action", choices=("list", "disable", "enable", "set-role", "reset-password"))
    accounts.add_argument("username", nargs="?")
    accounts.add_argument("--role", choices=ROLES, help="the new role (set-role)")
    accounts.add_argument(
        "--password-stdin",
        action="store_true",
        help="reset-password: read the new password from the first line of stdin",
    )
    accounts.add_argument("--by", help="who makes the change, for the audit trail (default: cli)")
    purge = commands.add_parser("purge", help="erase conversations idle for more than the retention period")
    purge.add_argument("--days", type=float, help="retention in days (default $CONSOLE_RETENTION_DAYS or 90)")
    purge.add_argument(
        "--by",
        default="retention",
        help="what runs the purge (e.g. the timer), recorded beside the system account",
    )
    erase = commands.add_parser("erase", help="erase a customer's conversations everywhere, on request")
    erase.add_argument("--conversation", action="append", metavar="ID", help="a conversation id (repeatable)")
    erase.add_argument(
        "--mentioning", metavar="TEXT", help="every conversation containing TEXT, e.g. an address"
    )
    erase.add_argument(
        "--by",
        required=True,
        help="who asked for the erasure (recorded as the request; the actor recorded is "
        "the system account running this command)",
    )
    erase.add_argument("--dry-run", action="store_true", help="list the conversation ids, erase nothing")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs one command; returns the exit status."""
    args = _parser().parse_args(argv)
    _configure_logging()
    try:
        settings = load_settings(local_environment(), serving=args.command == "serve")
    except SettingsError as error:
        return _fail(str(error))
    handlers = {
        "serve": command_serve,
        "create-user": command_create_user,
        "users": command_users,
        "purge": command_purge,
        "erase": command_erase,
    }
    from sqlalchemy.exc import SQLAlchemyError

    from services.console.schema import TrackerStoreNotReady

    try:
        return handlers[args.command](settings, args)
    except (Interrupted, KeyboardInterrupt):
        print("services.console: interrupted, nothing changed", file=sys.stderr)
        return 130
    except TrackerStoreNotReady as error:
        return _fail(str(error))
    except SQLAlchemyError as error:
        # The type only: a driver's message may quote the URL, password included.
        return _fail(
            f"a database cannot be used ({type(error).__name__}); check CONSOLE_DB_URL and "
            "CONSOLE_TRACKER_DB_URL"
        )

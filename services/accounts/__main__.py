"""``python -m services.accounts``: run the reference account service.

Settings come from the environment (see `services.accounts.settings`); --host and
--port override ACCOUNT_HOST and ACCOUNT_PORT. A bad setting, an unreachable
database or a busy port ends the program with one line on stderr and exit
status 2, not a traceback.
"""

import argparse
import logging
import sys

from services.accounts.settings import SettingsError, load_settings


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m services.accounts",
        description=(
            "The reference Parallels account service (JSON API under /v1, OpenAPI at /openapi.json). "
            "Configured by environment variables: ACCOUNT_API_TOKEN (required), ACCOUNT_HOST, "
            "ACCOUNT_PORT, ACCOUNT_DATABASE_URL, ACCOUNT_REUSE_COOLDOWN_DAYS, ACCOUNT_LINK_TTL_MINUTES, "
            "ACCOUNT_PUBLIC_URL, ACCOUNT_DEV_OUTBOX, ACCOUNT_SEED_DEMO."
        ),
    )
    parser.add_argument("--host", help="address to listen on (default: $ACCOUNT_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (default: $ACCOUNT_PORT or 8001)")
    return parser.parse_args(argv)


def _fail(message: str) -> int:
    print(f"services.accounts: error: {message}", file=sys.stderr)
    return 2


def _log_to_stderr() -> None:
    """Shows the service's own log lines; Sanic's loggers have their own handlers already."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("services")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def main(argv: list[str] | None = None) -> int:
    """Starts the service and serves until interrupted; returns the exit status."""
    arguments = _arguments(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        return _fail(str(error))
    overrides = {name: value for name, value in (("host", arguments.host), ("port", arguments.port)) if value}
    settings = settings.copy(update=overrides)
    _log_to_stderr()

    # Imported after the settings check, so a bad setting fails fast.
    from sanic.server.socket import bind_socket
    from sqlalchemy.exc import SQLAlchemyError

    from services.accounts.app import create_app

    try:
        app = create_app(settings)
    except (SQLAlchemyError, OSError) as error:
        # The type only: a driver's message may quote the URL, password included.
        return _fail(f"cannot open the database ({type(error).__name__}); check ACCOUNT_DATABASE_URL")
    try:
        # Bound here rather than by Sanic, which logs a traceback and exits 0 when the port is busy.
        listener = bind_socket(settings.host, settings.port)
    except OSError as error:
        return _fail(f"cannot listen on {settings.host}:{settings.port}: {error.strerror or error}")
    app.run(sock=listener, access_log=False, motd=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())

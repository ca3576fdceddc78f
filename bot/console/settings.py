"""The console's configuration, read once from the environment.

The console runs beside Rasa on the same machine in development and behind a
proxy in production, so everything that differs between the two is a variable
(defaults in brackets):

- CONSOLE_HOST [127.0.0.1], CONSOLE_PORT [8002]: where the console listens.
- CONSOLE_TRACKER_DB_URL [sqlite:///var/tracker.db]: Rasa's SQL tracker store (the file
  endpoints.yml names); any SQLAlchemy URL, e.g. postgresql://user:pass@host/rasa.
- CONSOLE_DB_URL [sqlite:///var/console.db]: the console's own tables (agents, summaries,
  reviews, audit trail). Relative SQLite paths are anchored at the project root.
- RASA_URL [http://127.0.0.1:5005]: Rasa's HTTP API and REST channel.
- RASA_AUTH_TOKEN (required): the token of Rasa's HTTP API (`?token=`), used for pause,
  agent replies and resume.
- REST_CHANNEL_TOKEN [unset]: sent as a bearer token by the "try it" page when the REST
  channel is protected.
- ACCOUNT_API_URL [http://127.0.0.1:8001], ACCOUNT_API_TOKEN [unset]: the account service, asked
  to erase its copies (tickets, queued emails, idempotency keys) when a conversation is erased;
  without the token an erasure says it could not reach them.
- CONSOLE_SECRET_KEY (required): keys the session and CSRF digests; generated into .env by a
  local run. Changing it signs every agent out.
- CONSOLE_COOKIE_SECURE [0]: 1 marks the session cookie Secure (set it behind HTTPS).
- CONSOLE_SESSION_HOURS [12]: how long a sign-in lasts.
- CONSOLE_LOGIN_MAX_FAILURES [5], CONSOLE_LOGIN_WINDOW_MINUTES [15]: after that many failed
  sign-ins for one name or from one address within the window, further attempts are refused
  until the window has passed.
- CONSOLE_RETENTION_DAYS [90]: age (days since last activity) past which `purge` deletes a
  conversation.
- CONSOLE_LOW_CONFIDENCE [0.6]: an understood message below this intent confidence flags
  its conversation as low-confidence.
- CONSOLE_SYNC_SECONDS [2]: how often the console reads new tracker events into its summaries.
- CONSOLE_PAGE_SIZE [50]: conversations per list page.
- CONSOLE_RASA_TIMEOUT [30]: seconds per call to Rasa (a "try it" message waits for the whole turn).
"""

import os
from dataclasses import dataclass
from typing import Callable, Mapping, Optional, TypeVar

_T = TypeVar("_T")


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable and what to do."""


@dataclass(frozen=True)
class Settings:
    """Everything the console reads from its environment."""

    host: str
    port: int
    tracker_db_url: str
    console_db_url: str
    rasa_url: str
    rasa_token: str
    rest_token: Optional[str]
    account_api_url: str
    account_api_token: Optional[str]
    secret_key: str
    cookie_secure: bool
    session_hours: float
    login_max_failures: int
    login_window_minutes: float
    retention_days: float
    low_confidence: float
    sync_seconds: float
    page_size: int
    rasa_timeout: float


def _value(env: Mapping[str, str], name: str, default: str, convert: Callable[[str], _T],
           check: Callable[[_T], bool]) -> _T:
    """One variable converted and checked; a bad value becomes a message naming it."""
    raw = env.get(name, "").strip() or default
    try:
        value = convert(raw)
    except ValueError:
        value = None
    if value is None or not check(value):
        raise SettingsError(f"{name}={raw!r} is not valid (default {default})")
    return value


def _required(env: Mapping[str, str], name: str, hint: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise SettingsError(f"{name} is not set: {hint}")
    return value


def load_settings(env: Mapping[str, str] = os.environ, serving: bool = True) -> Settings:
    """Reads and checks every setting, raising `SettingsError` on the first bad one.

    Commands that neither serve pages nor call Rasa (create-user, purge, erase) pass
    `serving=False`, so that they work with only the databases configured.
    """
    positive = lambda v: v > 0  # noqa: E731 (a check, named by its use)
    return Settings(
        host=env.get("CONSOLE_HOST", "").strip() or "127.0.0.1",
        port=_value(env, "CONSOLE_PORT", "8002", int, lambda v: 0 < v < 65536),
        tracker_db_url=env.get("CONSOLE_TRACKER_DB_URL", "").strip() or "sqlite:///var/tracker.db",
        console_db_url=env.get("CONSOLE_DB_URL", "").strip() or "sqlite:///var/console.db",
        rasa_url=_value(env, "RASA_URL", "http://127.0.0.1:5005", lambda v: v.rstrip("/"),
                        lambda v: v.startswith(("http://", "https://"))),
        rasa_token=_required(env, "RASA_AUTH_TOKEN", "set it to the token Rasa was started with "
                             "(`python -m bot run` keeps it in .env)") if serving else "",
        rest_token=env.get("REST_CHANNEL_TOKEN", "").strip() or None,
        account_api_url=env.get("ACCOUNT_API_URL", "").strip() or "http://127.0.0.1:8001",
        account_api_token=env.get("ACCOUNT_API_TOKEN", "").strip() or None,
        secret_key=_required(env, "CONSOLE_SECRET_KEY", "set it to a long random string "
                             "(`python -m bot run` generates one into .env)") if serving else "",
        cookie_secure=_value(env, "CONSOLE_COOKIE_SECURE", "0", str, lambda v: v in ("0", "1")) == "1",
        session_hours=_value(env, "CONSOLE_SESSION_HOURS", "12", float, positive),
        login_max_failures=_value(env, "CONSOLE_LOGIN_MAX_FAILURES", "5", int, positive),
        login_window_minutes=_value(env, "CONSOLE_LOGIN_WINDOW_MINUTES", "15", float, positive),
        retention_days=_value(env, "CONSOLE_RETENTION_DAYS", "90", float, positive),
        low_confidence=_value(env, "CONSOLE_LOW_CONFIDENCE", "0.6", float, lambda v: 0 <= v <= 1),
        sync_seconds=_value(env, "CONSOLE_SYNC_SECONDS", "2", float, positive),
        page_size=_value(env, "CONSOLE_PAGE_SIZE", "50", int, lambda v: 0 < v <= 500),
        rasa_timeout=_value(env, "CONSOLE_RASA_TIMEOUT", "30", float, positive),
    )

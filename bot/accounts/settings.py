"""Configuration of the reference account service, read once from the environment.

Every setting comes from an environment variable so the same code runs on a
laptop, in CI and beside the real deployment without edits:

- ``ACCOUNT_API_TOKEN`` (required): the bearer token every ``/v1`` call must
  carry. There is deliberately no default: a service that guards customer
  accounts must never start open.
- ``ACCOUNT_HOST`` (default ``127.0.0.1``) and ``ACCOUNT_PORT`` (default
  ``8001``): where the service listens.
- ``ACCOUNT_DATABASE_URL`` (default ``sqlite:///var/accounts.db``, the path
  relative to the project root; its folder is created): any SQLAlchemy 1.4 URL,
  e.g. ``postgresql://user:pass@host/db``.
- ``ACCOUNT_REUSE_COOLDOWN_DAYS`` (default ``30``): how long a deleted address
  stays unusable for a new account, as the article describes.
- ``ACCOUNT_LINK_TTL_MINUTES`` (default ``60``; fractions allowed): how long an
  emailed link works.
- ``ACCOUNT_RESEND_MINUTES`` (default ``20``; fractions allowed): at most one
  email of a kind per address in this window; repeats are answered alike and
  send nothing (``bot.accounts.ratelimit``). Capped at half the link lifetime,
  so the email already sent always holds a working link.
- ``ACCOUNT_MAX_REQUESTS_PER_CONVERSATION`` (default ``5``): emails one
  conversation (``X-Conversation-Id``) may ask for in an hour before a 429.
- ``ACCOUNT_PUBLIC_URL`` (default ``http://127.0.0.1:8001``): the base of the
  links put in emails, i.e. where customers reach this service.
- ``ACCOUNT_DEV_OUTBOX`` (default ``0``): when ``1``, the emails the service
  would send can be read at ``GET /v1/outbox`` and ``GET /dev/outbox``. Keep
  it off outside development: the outbox holds working links.
- ``ACCOUNT_SEED_DEMO`` (default ``0``): when ``1``, create the demo account
  ``demo@example.com`` and the address ``deleted@example.com`` deleted ten days
  ago, so a demonstration can show the cooldown.
"""

import os
from dataclasses import dataclass
from typing import Callable, Mapping, TypeVar

DEFAULT_DATABASE_URL = "sqlite:///var/accounts.db"

_T = TypeVar("_T")


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    """Everything the service reads from its environment."""

    api_token: str
    host: str
    port: int
    database_url: str
    reuse_cooldown_days: int
    link_ttl_minutes: float
    resend_minutes: float
    max_requests_per_conversation: int
    public_url: str
    dev_outbox: bool
    seed_demo: bool


def _parse(env: Mapping[str, str], name: str, default: str, convert: Callable[[str], _T]) -> _T:
    """Converts one variable, turning a bad value into a message a person can act on."""
    raw = env.get(name, default).strip() or default
    try:
        return convert(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not valid (default {default})") from None


def _non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError(raw)
    return value


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise ValueError(raw)
    return value


def _positive_float(raw: str) -> float:
    value = float(raw)
    if not value > 0 or value == float("inf"):
        raise ValueError(raw)
    return value


def _port(raw: str) -> int:
    value = int(raw)
    if not 0 < value < 65536:
        raise ValueError(raw)
    return value


def _flag(raw: str) -> bool:
    if raw not in ("0", "1"):
        raise ValueError(raw)
    return raw == "1"


def _public_url(raw: str) -> str:
    if not raw.startswith(("http://", "https://")):
        raise ValueError(raw)
    return raw.rstrip("/")


def load_settings(env: Mapping[str, str] = os.environ) -> Settings:
    """Reads and checks every setting, raising `SettingsError` on the first bad one."""
    token = env.get("ACCOUNT_API_TOKEN", "").strip()
    if not token:
        raise SettingsError(
            "ACCOUNT_API_TOKEN is not set: set it to the secret bearer token the "
            "assistant's actions will send"
        )
    link_ttl = _parse(env, "ACCOUNT_LINK_TTL_MINUTES", "60", _positive_float)
    return Settings(
        api_token=token,
        host=env.get("ACCOUNT_HOST", "").strip() or "127.0.0.1",
        port=_parse(env, "ACCOUNT_PORT", "8001", _port),
        database_url=env.get("ACCOUNT_DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL,
        reuse_cooldown_days=_parse(env, "ACCOUNT_REUSE_COOLDOWN_DAYS", "30", _non_negative_int),
        link_ttl_minutes=link_ttl,
        resend_minutes=min(_parse(env, "ACCOUNT_RESEND_MINUTES", "20", _positive_float),
                           link_ttl / 2),
        max_requests_per_conversation=_parse(
            env, "ACCOUNT_MAX_REQUESTS_PER_CONVERSATION", "5", _positive_int),
        public_url=_parse(env, "ACCOUNT_PUBLIC_URL", "http://127.0.0.1:8001", _public_url),
        dev_outbox=_parse(env, "ACCOUNT_DEV_OUTBOX", "0", _flag),
        seed_demo=_parse(env, "ACCOUNT_SEED_DEMO", "0", _flag),
    )

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
  send nothing (``services.accounts.ratelimit``). Capped at half the link
  lifetime, so the email already sent always holds a working link.
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

from collections.abc import Mapping

from pydantic import Field, validator

from bot.settings import EnvironmentSettings, SettingsError, flag, http_url

DEFAULT_DATABASE_URL = "sqlite:///var/accounts.db"

__all__ = ["DEFAULT_DATABASE_URL", "Settings", "SettingsError", "load_settings"]


class Settings(EnvironmentSettings):
    """Everything the service reads from its environment."""

    api_token: str = Field(
        ...,
        env="ACCOUNT_API_TOKEN",
        repr=False,
        description="set it to the secret bearer token the assistant's actions will send",
    )
    host: str = Field("127.0.0.1", env="ACCOUNT_HOST")
    port: int = Field(8001, env="ACCOUNT_PORT", gt=0, lt=65536)
    database_url: str = Field(DEFAULT_DATABASE_URL, env="ACCOUNT_DATABASE_URL")
    reuse_cooldown_days: int = Field(30, env="ACCOUNT_REUSE_COOLDOWN_DAYS", ge=0)
    link_ttl_minutes: float = Field(60.0, env="ACCOUNT_LINK_TTL_MINUTES", gt=0, lt=float("inf"))
    resend_minutes: float = Field(20.0, env="ACCOUNT_RESEND_MINUTES", gt=0, lt=float("inf"))
    max_requests_per_conversation: int = Field(5, env="ACCOUNT_MAX_REQUESTS_PER_CONVERSATION", ge=1)
    public_url: str = Field("http://127.0.0.1:8001", env="ACCOUNT_PUBLIC_URL")
    dev_outbox: bool = Field(False, env="ACCOUNT_DEV_OUTBOX")
    seed_demo: bool = Field(False, env="ACCOUNT_SEED_DEMO")

    _flags = validator("dev_outbox", "seed_demo", pre=True, allow_reuse=True)(flag)
    _url = validator("public_url", allow_reuse=True)(http_url)

    @validator("resend_minutes")
    def _within_link_life(cls, value: float, values: dict[str, object]) -> float:  # noqa: N805
        """At most half the link's lifetime: the email already sent always holds a working link."""
        ttl = values.get("link_ttl_minutes")
        return min(value, ttl / 2) if isinstance(ttl, float) else value


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Reads and checks every setting, raising `SettingsError` on the first bad one."""
    return Settings.read(env)

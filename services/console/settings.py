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

from collections.abc import Mapping

from pydantic import Field, validator

from bot.settings import EnvironmentSettings, SettingsError, flag, http_url

__all__ = ["Settings", "SettingsError", "load_settings"]


class Settings(EnvironmentSettings):
    """Everything the console reads from its environment."""

    host: str = Field("127.0.0.1", env="CONSOLE_HOST")
    port: int = Field(8002, env="CONSOLE_PORT", gt=0, lt=65536)
    tracker_db_url: str = Field("sqlite:///var/tracker.db", env="CONSOLE_TRACKER_DB_URL")
    console_db_url: str = Field("sqlite:///var/console.db", env="CONSOLE_DB_URL")
    rasa_url: str = Field("http://127.0.0.1:5005", env="RASA_URL")
    rasa_token: str = Field(
        "",
        env="RASA_AUTH_TOKEN",
        repr=False,
        description="set it to the token Rasa was started with (`python -m ops run` keeps it in .env)",
    )
    rest_token: str | None = Field(None, env="REST_CHANNEL_TOKEN", repr=False)
    account_api_url: str = Field("http://127.0.0.1:8001", env="ACCOUNT_API_URL")
    account_api_token: str | None = Field(None, env="ACCOUNT_API_TOKEN", repr=False)
    secret_key: str = Field(
        "",
        env="CONSOLE_SECRET_KEY",
        repr=False,
        description="set it to a long random string (`python -m ops run` generates one into .env)",
    )
    cookie_secure: bool = Field(False, env="CONSOLE_COOKIE_SECURE")
    session_hours: float = Field(12.0, env="CONSOLE_SESSION_HOURS", gt=0)
    login_max_failures: int = Field(5, env="CONSOLE_LOGIN_MAX_FAILURES", gt=0)
    login_window_minutes: float = Field(15.0, env="CONSOLE_LOGIN_WINDOW_MINUTES", gt=0)
    retention_days: float = Field(90.0, env="CONSOLE_RETENTION_DAYS", gt=0)
    low_confidence: float = Field(0.6, env="CONSOLE_LOW_CONFIDENCE", ge=0, le=1)
    sync_seconds: float = Field(2.0, env="CONSOLE_SYNC_SECONDS", gt=0)
    page_size: int = Field(50, env="CONSOLE_PAGE_SIZE", gt=0, le=500)
    rasa_timeout: float = Field(30.0, env="CONSOLE_RASA_TIMEOUT", gt=0)

    _flags = validator("cookie_secure", pre=True, allow_reuse=True)(flag)
    _url = validator("rasa_url", allow_reuse=True)(http_url)


def load_settings(env: Mapping[str, str] | None = None, serving: bool = True) -> Settings:
    """Reads and checks every setting, raising `SettingsError` on the first bad one.

    Commands that neither serve pages nor call Rasa (create-user, purge, erase) pass
    `serving=False`, so that they work with only the databases configured.
    """
    settings = Settings.read(env)
    if serving:
        settings.require("rasa_token")
        settings.require("secret_key")
    return settings

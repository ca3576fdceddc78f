"""The custom actions' client for the account API (`services.accounts` or the real one).

Actions run inside the rasa-sdk action server's event loop, so the client is
asynchronous (httpx). What an action needs to decide what to say is encoded
in the exception types: `RateLimited` (tell the customer when to try again),
`InvalidEmail` (ask again), `AccountApiUnavailable` (apologise and offer a
person). Anything else (`AccountApiError`) is a bug on our side.

A call that carries an idempotency key is retried with exponential backoff
when the connection fails or the service answers 5xx: the key makes the
retry harmless (the service does nothing twice). A call without a key is
never retried, since a lost answer may hide a done deed. A read timeout is
not retried either, so a slow service costs the customer one timeout, not three.

The token is never logged nor put in an exception; addresses appear in logs
masked (``j***@example.com``).

Environment:
- ``ACCOUNT_API_URL`` (default ``http://127.0.0.1:8001``): the service's base URL.
- ``ACCOUNT_API_TOKEN`` (no default): the bearer token; when unset, every
  call raises `AccountApiUnavailable` saying so.
- ``ACCOUNT_API_TIMEOUT`` (default ``5``): seconds to wait for each attempt.
"""

import asyncio
import hashlib
import logging
import re
import ssl
from collections.abc import Mapping
from functools import cache
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import Field

from bot.settings import EnvironmentSettings

logger = logging.getLogger(__name__)

DEFAULT_URL = "http://127.0.0.1:8001"
DEFAULT_TIMEOUT = 5.0
ATTEMPTS = 3
FIRST_BACKOFF = 0.2
# Assumed when a 429 does not say how long to wait.
DEFAULT_RETRY_AFTER = 60
# What the service accepts as an Idempotency-Key; anything else is sent as its SHA-256.
_KEY_PATTERN = re.compile(r"[!-~]{1,255}")
# Failures after which the request may not have reached the service's handler at all.
_RETRYABLE_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError, httpx.WriteError)


class AccountApiError(Exception):
    """The service refused a request in a way the caller did not provide for."""


class RateLimited(AccountApiError):
    """Too many emails for this address lately; `retry_after` seconds until the next is accepted."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"rate limited, retry after {retry_after} s")
        self.retry_after = retry_after


class InvalidEmail(AccountApiError):
    """The service does not accept the text as an email address."""


class NotFound(AccountApiError):
    """The service knows no such record (a ticket erased, or opened by another system)."""


class AccountApiUnavailable(AccountApiError):
    """The service cannot be used now: down, slow, failing or misconfigured.

    `reason` is meant for logs and never holds the token or an address.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def mask_email(email: str) -> str:
    """`email` with the local part hidden but its first character, for logs."""
    local, at, domain = email.partition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"


def conversation_digest(conversation_id: str) -> str:
    """How a conversation is named in idempotency keys: the account service erases the keys
    that begin with it when the conversation is erased, without ever storing the id itself."""
    return hashlib.sha256(conversation_id.encode()).hexdigest()


def _wire_key(key: str) -> str:
    return key if _KEY_PATTERN.fullmatch(key) else hashlib.sha256(key.encode()).hexdigest()


class ClientSettings(EnvironmentSettings):
    """The client's environment (see the module's docstring)."""

    url: str = Field(DEFAULT_URL, env="ACCOUNT_API_URL")
    token: str = Field("", env="ACCOUNT_API_TOKEN", repr=False)
    timeout: float = Field(DEFAULT_TIMEOUT, env="ACCOUNT_API_TIMEOUT", gt=0)


# Read when the action server loads the actions, so that a malformed variable stops it at start
# (naming the variable) instead of failing every customer's turn.
ClientSettings.read()


@cache
def _tls_context() -> ssl.SSLContext:
    """httpx's default verifying TLS context, built once per process.

    A new client builds one from the CA bundle every time: about 40 ms of CPU, measured as most of
    the action server's cost of a turn (`make bench`).
    """
    return httpx.create_ssl_context()


class AccountApiClient:
    """One account service, reached over HTTP. Safe to share between concurrent actions."""

    def __init__(
        self,
        base_url: str | None = None,
        token: str | None = None,
        timeout: float | None = None,
        env: Mapping[str, str] | None = None,
        conversation_id: str | None = None,
    ) -> None:
        """`conversation_id` names the conversation asking, for the service's per-conversation
        limit on emails (so that one conversation's flood is refused to it alone)."""
        settings = ClientSettings.read(env)
        self.base_url = (base_url or settings.url).rstrip("/")
        self._conversation_id = conversation_id
        self._token = token if token is not None else settings.token
        self.timeout = timeout if timeout is not None else settings.timeout

    def __repr__(self) -> str:  # never show the token, e.g. in a traceback's locals
        return f"AccountApiClient(base_url={self.base_url!r}, timeout={self.timeout})"

    async def request_password_reset(self, email: str, idempotency_key: str) -> None:
        """Asks for a reset email; succeeds alike whether or not the address has an account."""
        await self._post("/v1/password-resets", {"email": email}, idempotency_key, email)

    async def request_device_confirmation(self, email: str, idempotency_key: str) -> None:
        """Asks for a device/browser confirmation email; succeeds alike for unknown addresses."""
        await self._post("/v1/device-confirmations", {"email": email}, idempotency_key, email)

    async def open_support_ticket(
        self,
        topic: str,
        channel: str,
        conversation_id: str,
        language: str,
        summary: str,
        email: str | None = None,
        idempotency_key: str | None = None,
    ) -> str:
        """Opens a ticket for the support team and returns its id."""
        body: dict[str, Any] = {
            "topic": topic,
            "channel": channel,
            "conversation_id": conversation_id,
            "language": language,
            "summary": summary,
        }
        if email is not None:
            body["email"] = email
        answer = await self._post("/v1/support-tickets", body, idempotency_key, email)
        return str(answer["id"])

    async def record_answer_by_email(
        self, ticket_id: str, email: str | None, idempotency_key: str | None = None
    ) -> None:
        """Records on the ticket that its customer wants the answer by email (at `email`, when
        given); raises `NotFound` when the service has no such ticket."""
        body = {} if email is None else {"email": email}
        path = f"/v1/support-tickets/{quote(ticket_id, safe='')}/answer-by-email"
        await self._post(path, body, idempotency_key, email)

    async def erase(self, conversation_ids: list[str], emails: list[str]) -> dict[str, int]:
        """Erases the service's records of the conversations and addresses; returns the counts."""
        return await self._post(
            "/v1/erasures", {"conversation_ids": conversation_ids, "emails": emails}, None, None
        )

    async def _post(
        self, path: str, body: dict[str, Any], idempotency_key: str | None, email: str | None
    ) -> dict[str, Any]:
        if not self._token:
            raise AccountApiUnavailable("ACCOUNT_API_TOKEN is not set")
        headers = {"Authorization": f"Bearer {self._token}"}
        if self._conversation_id:
            headers["X-Conversation-Id"] = self._conversation_id[:256]
        if idempotency_key is not None:
            headers["Idempotency-Key"] = _wire_key(idempotency_key)
        attempts = ATTEMPTS if idempotency_key is not None else 1
        who = mask_email(email) if email else "-"
        reason = ""
        async with httpx.AsyncClient(
            base_url=self.base_url, timeout=self.timeout, verify=_tls_context()
        ) as client:
            for attempt in range(1, attempts + 1):
                try:
                    response = await client.post(path, json=body, headers=headers)
                except _RETRYABLE_ERRORS as error:
                    reason = f"cannot reach the account API at {self.base_url} ({type(error).__name__})"
                except httpx.TimeoutException:
                    raise self._unavailable(
                        f"the account API did not answer {path} within {self.timeout} s", who
                    ) from None
                except httpx.HTTPError as error:
                    raise self._unavailable(f"HTTP error on {path} ({type(error).__name__})", who) from None
                else:
                    if response.status_code < 500:
                        return self._result(path, response, who)
                    reason = f"the account API answered {response.status_code} on {path}"
                if attempt < attempts:
                    logger.info("%s (attempt %d of %d, for %s); retrying", reason, attempt, attempts, who)
                    await asyncio.sleep(FIRST_BACKOFF * 2 ** (attempt - 1))
        raise self._unavailable(reason, who)

    @staticmethod
    def _unavailable(reason: str, who: str) -> AccountApiUnavailable:
        logger.warning("account API unavailable for %s: %s", who, reason)
        return AccountApiUnavailable(reason)

    def _result(self, path: str, response: httpx.Response, who: str) -> dict[str, Any]:
        """The JSON answer of a success, or the exception its error stands for."""
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if response.is_success:
            return answer if isinstance(answer, dict) else {}
        error = answer.get("error") if isinstance(answer, dict) else None
        if response.status_code == 401:
            raise self._unavailable(
                f"the account API refused the token (401) on {path}: check ACCOUNT_API_TOKEN", who
            )
        if response.status_code == 429:
            retry_after = answer.get("retry_after") if isinstance(answer, dict) else None
            if not isinstance(retry_after, int):
                header = response.headers.get("Retry-After", "")
                retry_after = int(header) if header.isdigit() else DEFAULT_RETRY_AFTER
            logger.info("account API rate limit for %s: retry after %d s", who, retry_after)
            raise RateLimited(retry_after)
        if error == "invalid_email":
            raise InvalidEmail(f"the account API refused the address for {path}")
        if response.status_code == 404 and error == "not_found":
            raise NotFound(f"{path}: no such record")
        logger.error("account API refused %s for %s: %d %s", path, who, response.status_code, error)
        raise AccountApiError(f"{path} answered {response.status_code} {error}")

"""The edge of every channel: configuration, request limits, signatures and clean input.

Everything a webhook receives is untrusted: the body may be huge, nested thousands deep, signed
with the wrong key, or carry strings that are not valid Unicode (a JSON `"\\ud800"` decodes to a
lone surrogate, which no database can encode). So every channel, before a turn exists:
- refuses a body over CONNECTOR_MAX_BODY_BYTES (413), and JSON with more than
  `MAX_JSON_CONTAINERS` arrays and objects or nested deeper than `MAX_JSON_DEPTH` (400);
- checks the platform's signature or secret in constant time;
- accepts a conversation id only in the platform's own shape (`platform_id`) and repairs the
  customer's text (`bot.clean_text`): a lone surrogate becomes U+FFFD, NUL and other control
  characters go, so nothing downstream (Rasa, the tracker store, the console) meets bytes it
  cannot store;
- cuts a message longer than the platform itself allows (`cut`), so one customer's megabyte
  never becomes a turn that blocks everyone else; the turn then tells the customer (turns.py).

Configuration: a platform is switched on by its environment variables. None set: the channel
is off and the start-up log names the variables that would switch it on. Some set: start-up
fails with an error naming the missing ones (never a traceback on the first message).

Environment variables (shared by all channels):
- CONNECTOR_MAX_BODY_BYTES (default 1048576): largest webhook body accepted; larger bodies
  get 413 before any parsing.
- CONNECTOR_SEND_TIMEOUT (default 10, seconds): how long one call to a platform's send API
  may take before the reply is given up (and logged) so the conversation moves on.
"""

import hashlib
import hmac
import json
import logging
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import Field
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.runtime.log_scrubber import protect_secrets
from bot.settings import EnvironmentSettings, SettingsError

logger = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
DEFAULT_SEND_TIMEOUT = 10.0
# Deep enough for every platform's payload (Messenger's is 6 levels), far below the depth at
# which Python's JSON parser, or Rasa serialising the metadata, runs out of stack.
MAX_JSON_DEPTH = 32
# No platform sends more arrays and objects than this in one body (a Messenger batch of hundreds of
# events has a few thousand); parsing a megabyte of `[],[],...` alone took half a second.
MAX_JSON_CONTAINERS = 20000
# Platform user ids are decimal numbers (PSIDs, X user ids, Telegram chat ids).
MAX_PLATFORM_ID_DIGITS = 32

_DIGITS = re.compile(rf"[0-9]{{1,{MAX_PLATFORM_ID_DIGITS}}}")


class ChannelConfigurationError(RasaException):
    """A channel's configuration is incomplete or invalid.

    A `RasaException`, so `rasa run` prints the message and exits instead of a traceback.
    """


# --- configuration ------------------------------------------------------------------------


class Limits(EnvironmentSettings):
    """Request and send limits shared by all channels (read with bot.settings, like every
    service's settings)."""

    max_body_bytes: int = Field(DEFAULT_MAX_BODY_BYTES, env="CONNECTOR_MAX_BODY_BYTES", gt=0)
    send_timeout: float = Field(DEFAULT_SEND_TIMEOUT, env="CONNECTOR_SEND_TIMEOUT", gt=0, lt=float("inf"))

    @classmethod
    def from_env(cls) -> "Limits":
        """Reads CONNECTOR_MAX_BODY_BYTES and CONNECTOR_SEND_TIMEOUT, failing early on nonsense
        (a `RasaException`, so `rasa run` prints it and exits)."""
        try:
            return cls.read()
        except SettingsError as error:
            raise ChannelConfigurationError(str(error)) from None


def reject_credential_keys(channel_path: str, credentials: Mapping[str, Any] | None) -> None:
    """Refuses keys under a channel in credentials.yml.

    Secrets live in the environment only, so that credentials.yml can be committed; a key there
    is a secret about to be committed or a setting that would be silently ignored.
    """
    if credentials:
        raise ChannelConfigurationError(
            f"'{channel_path}' takes no keys in credentials.yml (got: "
            f"{', '.join(sorted(credentials))}); set its environment variables instead."
        )


def read_platform_settings(
    channel: str, required: Sequence[str], optional: Mapping[str, str] | None = None
) -> dict[str, str] | None:
    """The platform's variables, or None when the platform is switched off.

    None of `required` set: logs which variables would switch the channel on, returns None.
    Some set: raises, naming the missing ones. All set: registers them as secrets for the
    log scrubber and returns them with the `optional` ones (or their defaults).
    """
    values = {name: os.environ.get(name, "").strip() for name in required}
    given = [name for name in required if values[name]]
    if not given:
        logger.info("The %s channel is off: set %s to switch it on.", channel, ", ".join(required))
        return None
    missing = [name for name in required if not values[name]]
    if missing:
        raise ChannelConfigurationError(
            f"The {channel} channel is only partly configured: {', '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} missing. Set "
            f"{'it' if len(missing) == 1 else 'them'}, or unset {', '.join(given)} "
            f"to switch the channel off."
        )
    protect_secrets(values.values())
    settings = dict(values)
    for name, default in (optional or {}).items():
        settings[name] = os.environ.get(name, "").strip() or default
    logger.info("The %s channel is on.", channel)
    return settings


# --- request checks -----------------------------------------------------------------------


def hmac_sha256(secret: str, body: bytes) -> bytes:
    """The raw HMAC-SHA256 digest both Meta and X sign their webhook bodies with."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()


def signature_matches(expected: str, provided: str | None) -> bool:
    """Constant-time comparison of a computed signature with the header value."""
    if not provided:
        return False
    try:
        provided_bytes = provided.strip().encode("ascii")
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(expected.encode("ascii"), provided_bytes)


def secret_matches(expected: str, provided: str | None) -> bool:
    """Constant-time comparison of a shared secret (verify token, webhook secret, bearer token)."""
    if provided is None:
        return False
    try:
        provided_bytes = provided.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate can never be the secret
        return False
    return hmac.compare_digest(expected.encode("utf-8"), provided_bytes)


def oversized(request: Request, limits: Limits) -> bool:
    """Whether the body is over the limit, judged by Content-Length first, then by the body."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limits.max_body_bytes:
        return True
    return len(request.body or b"") > limits.max_body_bytes


def within_depth(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether a parsed JSON value nests arrays and objects at most `limit` deep (iteratively,
    stopping at the first container too deep; empty containers are never stacked)."""
    if not isinstance(value, (dict, list)):
        return True
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > limit:
            return False
        children: Iterable[Any] = item.values() if isinstance(item, dict) else item
        for child in children:
            if isinstance(child, (dict, list)):
                if depth >= limit:
                    return False
                if child:
                    pending.append((child, depth + 1))
    return True


def json_object(body: bytes) -> dict[str, Any] | None:
    """The body parsed as a JSON object, or None when it is not one or nests too deep.

    The brackets are counted first, at C speed: more than `MAX_JSON_CONTAINERS` is refused
    before any parsing. Python's C parser refuses nesting past the interpreter's recursion limit
    by itself (a RecursionError, caught here); deeper than `MAX_JSON_DEPTH` is refused after
    parsing, looked at only when the body has that many brackets at all (an ordinary payload,
    or a 1 MB message, costs nothing more).
    """
    brackets = (body or b"").count(b"[") + (body or b"").count(b"{")
    if brackets > MAX_JSON_CONTAINERS:
        return None
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(parsed, dict):
        return None
    if brackets > MAX_JSON_DEPTH and not within_depth(parsed):
        return None
    return parsed


def dicts(value: Any) -> list[dict[str, Any]]:
    """The dict items of `value` when it is a list, else nothing: payload parsing never crashes."""
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]


def error(status: int, reason: str) -> HTTPResponse:
    """A small JSON error answer (no request content echoed back)."""
    return response.json({"error": reason}, status=status)


def disabled_blueprint(channel: str, variables: Sequence[str]) -> Blueprint:
    """Routes for a switched-off platform: every call answers 503 and names the variables."""
    blueprint = Blueprint(f"{channel}_webhook_disabled")

    async def unavailable(request: Request, **_: Any) -> HTTPResponse:
        return response.json(
            {"error": f"the {channel} channel is off", "enable_with": list(variables)},
            status=503,
        )

    blueprint.add_route(unavailable, "/", methods=["GET"], name="health")
    blueprint.add_route(unavailable, "/webhook", methods=["GET", "POST"], name="webhook")
    return blueprint


# --- clean input --------------------------------------------------------------------------


def platform_id(value: Any) -> str | None:
    """A platform's user or chat id as text, or None when it is not a plain decimal number.

    Messenger, X and Telegram all identify customers by decimal numbers (sent as strings or as
    JSON numbers); anything else (a lone surrogate, a colon, a float, a bool) is not from them.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, str):
        text = value
    else:
        return None
    return text if _DIGITS.fullmatch(text) else None


def cut(text: str, limit: int) -> tuple[str, int | None]:
    """`text` cut to `limit` characters, with its original length when it was cut (else None)."""
    if len(text) <= limit:
        return text, None
    return text[:limit], len(text)

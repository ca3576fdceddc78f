"""Rasa's REST channel (/webhooks/rest/webhook), guarded.

Same contract as Rasa's own channel: POST `{"sender", "message", "metadata"?}`, answered with the
list of `{"recipient_id", "text", "buttons"?, ...}` replies (`?stream=true` works as in Rasa).
Rasa's channel trusts any sender id and any `input_channel`; this one adds:
- a sender id is NFKC-normalised (`ｔelegram:42` is `telegram:42`) and one with control or
  invisible formatting characters is refused (400); a sender id in a platform namespace
  (`messenger:`, `twitter:`, `telegram:`) is refused with 403, so a REST caller can never speak
  inside a platform customer's conversation, and so is the console's own `console-try-`
  namespace unless the request carries the console's proof (`X-Rasa-Token`, the token of Rasa's
  HTTP API, which only the console and Rasa hold);
- the input channel is always `rest` (a body cannot claim another channel), and the metadata
  `channel` is always "rest" (a caller's `locale` and other metadata are kept);
- the message goes through `redact_credentials` before Rasa sees it;
- malformed or oversized bodies get 400/413 instead of a server error, JSON nested deeper than
  connectors.webhook allows included; a sender id must be at most 128 characters of valid
  Unicode without control characters (400 otherwise: ids are never repaired, two must not
  become one); the message and the metadata are repaired (lone surrogates, control characters)
  and a message longer than 10,000 characters (X's limit, the largest of the platforms') is cut,
  the reply followed by a notice in the customer's language;
- a turn that raises (the tracker store or the lock store unreachable, say) answers 503 instead of
  Rasa's 200 with whatever replies were produced before the failure: in the usual case (the
  conversation could not be read or saved) the turn was not recorded and the conversation goes
  on from before that message when it is sent again. A streamed answer (`?stream=true`) has
  already gone out and cannot be taken back; a cancelled turn keeps Rasa's answer;
- with REST_CHANNEL_TOKEN set, every message needs `Authorization: Bearer <token>` (401 otherwise).

Outside development either set REST_CHANNEL_TOKEN (the web console and other trusted callers
send it) or remove `connectors.rest.RestInput:` from credentials.yml to switch REST off.

Environment variables:
- REST_CHANNEL_TOKEN (default unset: open, as in development): bearer token required on POSTs.
- CONNECTOR_MAX_BODY_BYTES: see connectors.webhook.
"""

import logging
import os
import unicodedata
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.clean_text import clean_json, clean_text, is_clean_identifier
from bot.redaction import redact_credentials
from bot.runtime.log_scrubber import protect_secrets
from connectors.turns import PLATFORM_CHANNELS, REST, tell_cut
from connectors.webhook import (
    Limits,
    cut,
    error,
    json_object,
    oversized,
    reject_credential_keys,
    secret_matches,
)

logger = logging.getLogger(__name__)

TOKEN_VARIABLE = "REST_CHANNEL_TOKEN"
# The longest message a platform delivers (X's 10,000 characters); REST callers get the same.
MAX_MESSAGE_CHARS = 10000
MAX_SENDER_CHARS = 128
# Set per request by the guard: whether this request's turn raised (middleware, route and turn
# run in the request's own task, so they share it).
_turn_failures: ContextVar[list[BaseException] | None] = ContextVar("rest_turn_failures", default=None)
# The request's agent, for the notice after a cut message (set by the guard, same task).
_agent: ContextVar[Any | None] = ContextVar("rest_agent", default=None)


CONSOLE_PREFIX = "console-try-"  # the agents' console's "try it" conversations (services.console)
CONSOLE_PROOF_HEADER = "x-rasa-token"
_INVISIBLE_CATEGORIES = ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")


def normalised_sender(sender_id: str) -> str:
    """The sender id as one spelling: compatibility characters folded (NFKC), outer spaces cut."""
    return unicodedata.normalize("NFKC", sender_id).strip()


def in_platform_namespace(sender_id: str) -> bool:
    """Whether `sender_id` names a platform conversation (`telegram:42`, in any case, spacing or
    width)."""
    prefix, separator, _ = normalised_sender(sender_id).partition(":")
    return bool(separator) and prefix.strip().casefold() in PLATFORM_CHANNELS


def sender_refusal(sender_id: str, console_proof: str) -> HTTPResponse | None:
    """Why a sender id is not accepted (an error answer), or None when it is."""
    if any(unicodedata.category(c) in _INVISIBLE_CATEGORIES for c in sender_id):
        return error(400, "sender must not contain control or formatting characters")
    if in_platform_namespace(sender_id):
        return error(403, "sender ids of platform conversations are not accepted here")
    if normalised_sender(sender_id).casefold().startswith(CONSOLE_PREFIX):
        expected = os.environ.get("RASA_AUTH_TOKEN", "").strip()
        if not expected or not secret_matches(expected, console_proof):
            return error(403, "sender ids of the console's conversations are not accepted here")
    return None


class RestInput(RasaRestInput):
    """Rasa's REST channel with the guards described in the module docstring."""

    @classmethod
    def name(cls) -> str:
        """Keeps the URL at /webhooks/rest/webhook."""
        return REST

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Reads REST_CHANNEL_TOKEN (credentials.yml carries no keys)."""
        reject_credential_keys(f"{__name__}.{cls.__name__}", credentials)
        token = os.environ.get(TOKEN_VARIABLE, "").strip() or None
        if token:
            protect_secrets([token])
            logger.info("The rest channel requires a bearer token.")
        else:
            logger.info(
                "The rest channel is open to any caller: set %s to require a bearer token "
                "outside development.",
                TOKEN_VARIABLE,
            )
        return cls(token, Limits.from_env())

    def __init__(self, token: str | None = None, limits: Limits | None = None) -> None:
        self._token = token
        self._limits = limits or Limits.read({})

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        """Rasa's REST routes behind a request guard, a failed turn answered as one."""

        async def handle(message: UserMessage) -> None:
            try:
                await on_new_message(message)
            except Exception as failure:
                failures = _turn_failures.get()
                if failures is not None:
                    failures.append(failure)
                raise  # Rasa's route logs it
            agent = _agent.get()
            if (message.metadata or {}).get("cut_from") is not None and agent is not None:
                await tell_cut(agent, message, MAX_MESSAGE_CHARS)

        blueprint = super().blueprint(handle)
        blueprint.middleware("request")(self._guard)
        blueprint.middleware("response")(self._answer_failed_turn)
        return blueprint

    @staticmethod
    async def _answer_failed_turn(request: Request, answer: HTTPResponse) -> HTTPResponse | None:
        if request.method == "POST" and _turn_failures.get():
            return error(503, "the assistant could not finish this message; send it again")
        return None

    async def _guard(self, request: Request) -> HTTPResponse | None:
        """Answers instead of the route when the POST is unauthorised or unacceptable."""
        if request.method != "POST":
            return None
        _turn_failures.set([])
        _agent.set(getattr(request.app.ctx, "agent", None))
        if self._token is not None:
            header = request.headers.get("authorization", "")
            scheme, _, provided = header.partition(" ")
            if scheme.lower() != "bearer" or not secret_matches(self._token, provided.strip()):
                answer = error(401, "bearer token required")
                answer.headers["WWW-Authenticate"] = "Bearer"
                return answer
        if oversized(request, self._limits):
            return error(413, "body too large")
        body = json_object(request.body)
        if body is None:
            return error(400, "body is not a JSON object")
        sender, message = body.get("sender"), body.get("message")
        if not isinstance(sender, str) or not is_clean_identifier(sender, MAX_SENDER_CHARS):
            return error(
                400,
                f"sender must be 1-{MAX_SENDER_CHARS} characters of valid Unicode without control characters",
            )
        refusal = sender_refusal(sender, request.headers.get(CONSOLE_PROOF_HEADER, ""))
        if refusal is not None:
            return refusal
        if not isinstance(message, str):
            return error(400, "message must be a string")
        if "metadata" in body and not isinstance(body["metadata"], (dict, type(None))):
            return error(400, "metadata must be an object")
        return None

    async def _extract_sender(self, req: Request) -> str | None:
        """The normalised sender id: one conversation however its characters were spelled."""
        return normalised_sender(req.json["sender"])

    def _extract_message(self, req: Request) -> str | None:
        """The message repaired, cut at MAX_MESSAGE_CHARS, with credentials redacted."""
        text, _ = cut(req.json["message"], MAX_MESSAGE_CHARS)  # cut before cleaning a megabyte
        return redact_credentials(clean_text(text))

    def _extract_input_channel(self, req: Request) -> str:
        """Always `rest`: a body cannot route replies into another channel."""
        return REST

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        """The caller's metadata repaired, with `channel` set to "rest" and `cut_from` when the
        message was cut."""
        metadata = clean_json(request.json.get("metadata") or {})
        metadata["channel"] = REST
        message = request.json["message"]
        if len(message) > MAX_MESSAGE_CHARS:
            metadata["cut_from"] = len(message)
        else:
            metadata.pop("cut_from", None)
        return metadata

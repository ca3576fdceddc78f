"""What every channel does the same way, so that each platform module only speaks its wire format.

A platform webhook must be answered within seconds (Messenger wants a 200 quickly, X's CRC
within 3 s), while a turn of the assistant can take longer. So every platform channel checks
the request, acknowledges it at once and hands the turn to a `ConversationQueue`, which runs
each conversation's messages one after the other, in the order they arrived.

Shared rules kept here:
- Configuration: a platform is switched on by its environment variables. None set: the
  channel is off and the start-up log names the variables that would switch it on. Some set:
  start-up fails with an error naming the missing ones (never a traceback on the first message).
- Conversation ids are namespaced by channel (`messenger:<psid>`), so a platform user is one
  Rasa conversation and no other channel can speak inside it.
- Customer text goes through `bot.redaction.redact_credentials` before a `UserMessage` exists.
- Metadata on every user message: `channel`, `platform_message_id` and, when the platform
  says it, `locale`.
- Secrets (tokens, app secrets) are scrubbed from every log record, including libraries'
  own request logs (httpx logs Telegram URLs, which contain the bot token).
- Options a platform cannot show as buttons become numbered text; `ChoiceMemory` turns the
  customer's "2" back into the second option's payload.

Environment variables (shared by all channels):
- CONNECTOR_MAX_BODY_BYTES (default 1048576): largest webhook body accepted; larger bodies
  get 413 before any parsing.
- CONNECTOR_SEND_TIMEOUT (default 10, seconds): how long one call to a platform's send API
  may take before the reply is given up (and logged) so the conversation moves on.
"""

import asyncio
import hashlib
import hmac
import json
import logging
import math
import os
import re
import traceback
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import (
    Any,
    Awaitable,
    Callable,
    Deque,
    Dict,
    Iterable,
    List,
    Mapping,
    NamedTuple,
    Optional,
    Sequence,
    Set,
    TypeVar,
)
from urllib.parse import quote

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.redaction import redact_credentials

logger = logging.getLogger(__name__)

MESSENGER = "messenger"
TWITTER = "twitter"
TELEGRAM = "telegram"
REST = "rest"
PLATFORM_CHANNELS = (MESSENGER, TWITTER, TELEGRAM)

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
DEFAULT_SEND_TIMEOUT = 10.0
# Shorter values could be ordinary words inside log lines; real secrets are far longer.
_MIN_SECRET_LENGTH = 6

T = TypeVar("T")


class ChannelConfigurationError(RasaException):
    """A channel's configuration is incomplete or invalid.

    A `RasaException`, so `rasa run` prints the message and exits instead of a traceback.
    """


# --- configuration ------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """Request and send limits shared by all channels."""

    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    send_timeout: float = DEFAULT_SEND_TIMEOUT

    @classmethod
    def from_env(cls) -> "Limits":
        """Reads CONNECTOR_MAX_BODY_BYTES and CONNECTOR_SEND_TIMEOUT, failing early on nonsense."""
        return cls(
            max_body_bytes=int(
                _positive_number("CONNECTOR_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)
            ),
            send_timeout=_positive_number("CONNECTOR_SEND_TIMEOUT", DEFAULT_SEND_TIMEOUT),
        )


def _positive_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not (math.isfinite(value) and value > 0):
        raise ChannelConfigurationError(f"{name} must be a positive number, got {raw!r}.")
    return value


def reject_credential_keys(channel_path: str, credentials: Optional[Mapping[str, Any]]) -> None:
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
    channel: str, required: Sequence[str], optional: Optional[Mapping[str, str]] = None
) -> Optional[Dict[str, str]]:
    """The platform's variables, or None when the platform is switched off.

    None of `required` set: logs which variables would switch the channel on, returns None.
    Some set: raises, naming the missing ones. All set: registers them as secrets for the
    log scrubber and returns them with the `optional` ones (or their defaults).
    """
    values = {name: os.environ.get(name, "").strip() for name in required}
    given = [name for name in required if values[name]]
    if not given:
        logger.info(
            "The %s channel is off: set %s to switch it on.", channel, ", ".join(required)
        )
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


# --- secrets out of logs ------------------------------------------------------------------

_SECRETS: Set[str] = set()
_SCRUBBER_INSTALLED = False


def protect_secrets(values: Iterable[str]) -> None:
    """Replaces these values (and their URL-encoded forms) by `***` in every later log record.

    Done with a log record factory rather than a handler filter, so records of loggers with
    their own handlers (Sanic's) and handlers added later (`--log-file`) are covered too.
    """
    global _SCRUBBER_INSTALLED
    for value in values:
        if len(value) >= _MIN_SECRET_LENGTH:
            _SECRETS.add(value)
            _SECRETS.add(quote(value, safe=""))
    if _SCRUBBER_INSTALLED:
        return
    make_record = logging.getLogRecordFactory()

    def scrubbing_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        _scrub(record)
        return record

    logging.setLogRecordFactory(scrubbing_factory)
    _SCRUBBER_INSTALLED = True


def without_secrets(text: str) -> str:
    """`text` with every registered secret replaced by `***`."""
    for secret in _SECRETS:
        if secret in text:
            text = text.replace(secret, "***")
    return text


def _scrub(record: logging.LogRecord) -> None:
    if not _SECRETS:
        return
    try:
        message = record.getMessage()
    except Exception:  # a malformed record: logging reports it later, as usual
        return
    cleaned = without_secrets(message)
    if cleaned != message:
        record.msg, record.args = cleaned, ()
    if record.exc_info and record.exc_info[1] is not None:
        formatted = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        cleaned = without_secrets(formatted)
        if cleaned != formatted:
            record.exc_text = cleaned


# --- request checks -----------------------------------------------------------------------


def hmac_sha256(secret: str, body: bytes) -> bytes:
    """The raw HMAC-SHA256 digest both Meta and X sign their webhook bodies with."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()


def signature_matches(expected: str, provided: Optional[str]) -> bool:
    """Constant-time comparison of a computed signature with the header value."""
    if not provided:
        return False
    try:
        provided_bytes = provided.strip().encode("ascii")
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(expected.encode("ascii"), provided_bytes)


def secret_matches(expected: str, provided: Optional[str]) -> bool:
    """Constant-time comparison of a shared secret (verify token, webhook secret, bearer token)."""
    if provided is None:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), provided.encode("utf-8"))


def oversized(request: Request, limits: Limits) -> bool:
    """Whether the body is over the limit, judged by Content-Length first, then by the body."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limits.max_body_bytes:
        return True
    return len(request.body or b"") > limits.max_body_bytes


def json_object(body: bytes) -> Optional[Dict[str, Any]]:
    """The body parsed as a JSON object, or None when it is not one."""
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return parsed if isinstance(parsed, dict) else None


def dicts(value: Any) -> List[Dict[str, Any]]:
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


# --- conversations ------------------------------------------------------------------------


def namespaced(channel: str, platform_user_id: str) -> str:
    """The Rasa conversation id of a platform user: `<channel>:<platform id>`."""
    return f"{channel}:{platform_user_id}"


class RecentIds:
    """Platform message ids seen lately, so a redelivered message is processed once.

    Bounded and in memory: platforms redeliver within minutes, and one Rasa process owns the
    webhooks (Rasa runs a single Sanic worker unless a Redis lock store is configured).
    """

    def __init__(self, size: int = 10000) -> None:
        self._size = size
        self._seen: "OrderedDict[str, None]" = OrderedDict()

    def first_time(self, message_id: str) -> bool:
        """Records `message_id`; False when it was already seen."""
        if message_id in self._seen:
            self._seen.move_to_end(message_id)
            return False
        self._seen[message_id] = None
        if len(self._seen) > self._size:
            self._seen.popitem(last=False)
        return True


class Choice(NamedTuple):
    """One option of a bot message: what the customer sees and what comes back to Rasa."""

    title: str
    payload: str


def choices_from_buttons(buttons: Iterable[Dict[str, Any]]) -> List[Choice]:
    """Rasa buttons as choices; a button without payload sends its title back."""
    result = []
    for button in buttons:
        title = str(button.get("title") or "").strip()
        payload = str(button.get("payload") or title).strip()
        if title or payload:
            result.append(Choice(title or payload, payload))
    return result


def numbered_text(text: str, choices: Sequence[Choice]) -> str:
    """The message followed by the options as a numbered list the customer can answer with."""
    lines = [f"{number}. {choice.title}" for number, choice in enumerate(choices, start=1)]
    return "\n\n".join(part for part in (text.strip(), "\n".join(lines)) if part)


class ChoiceMemory:
    """The options last offered to each conversation as numbers.

    A customer's next message that is just one of those numbers ("2", "2.") is replaced by that
    option's payload; any next message forgets the offer, so a later "2" (two days, say) keeps
    its ordinary meaning.
    """

    _NUMBER = re.compile(r"\s*(\d{1,3})\s*[.)]?\s*")

    def __init__(self, size: int = 10000) -> None:
        self._size = size
        self._offers: "OrderedDict[str, List[str]]" = OrderedDict()

    def offer(self, conversation_id: str, choices: Sequence[Choice]) -> None:
        """Remembers numbered options just sent to `conversation_id`."""
        self._offers.pop(conversation_id, None)
        self._offers[conversation_id] = [choice.payload for choice in choices]
        if len(self._offers) > self._size:
            self._offers.popitem(last=False)

    def resolve(self, conversation_id: str, text: str) -> str:
        """The payload the customer's number stands for, else the text unchanged."""
        payloads = self._offers.pop(conversation_id, None)
        match = self._NUMBER.fullmatch(text)
        if payloads and match and 1 <= int(match.group(1)) <= len(payloads):
            return payloads[int(match.group(1)) - 1]
        return text


def split_text(text: str, limit: int) -> List[str]:
    """`text` in pieces of at most `limit` characters, cut at line breaks or spaces if possible."""
    pieces = []
    rest = text.strip()
    while len(rest) > limit:
        cut = max(rest.rfind("\n", 0, limit), rest.rfind(" ", 0, limit))
        if cut <= 0:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not pieces:
        pieces.append(rest)
    return pieces


@dataclass(frozen=True)
class Incoming:
    """One customer message as a platform delivered it, before Rasa sees it.

    `user_id` is the platform's id of the conversation (PSID, X user id, Telegram chat id);
    `text` is what the customer typed or the payload of the option they tapped.
    """

    user_id: str
    text: str
    message_id: str
    locale: Optional[str] = None


def user_message(
    incoming: Incoming, channel: str, output: OutputChannel, choices: ChoiceMemory
) -> UserMessage:
    """The Rasa message for `incoming`: namespaced sender, redacted text, channel metadata.

    Built when the conversation's turn starts (not when the webhook arrives), so that a number
    refers to the options of the reply that was sent just before.
    """
    conversation_id = namespaced(channel, incoming.user_id)
    text = redact_credentials(choices.resolve(conversation_id, incoming.text))
    metadata: Dict[str, Any] = {"channel": channel, "platform_message_id": incoming.message_id}
    if incoming.locale:
        metadata["locale"] = incoming.locale
    return UserMessage(
        text, output, conversation_id, input_channel=channel, metadata=metadata
    )


class ConversationQueue:
    """Runs turns in the background, one conversation's turns strictly in arrival order.

    Different conversations proceed concurrently; a failing turn is logged and the next one runs.
    """

    def __init__(self, channel: str) -> None:
        self._channel = channel
        self._pending: Dict[str, Deque[Callable[[], Awaitable[None]]]] = {}
        self._workers: Set["asyncio.Task[None]"] = set()

    def submit(self, conversation_id: str, turn: Callable[[], Awaitable[None]]) -> None:
        """Queues `turn` behind the conversation's earlier turns; returns at once."""
        queued = self._pending.get(conversation_id)
        if queued is not None:
            queued.append(turn)
            return
        self._pending[conversation_id] = deque([turn])
        worker = asyncio.get_running_loop().create_task(self._drain(conversation_id))
        self._workers.add(worker)
        worker.add_done_callback(self._workers.discard)

    async def _drain(self, conversation_id: str) -> None:
        queued = self._pending[conversation_id]
        try:
            while queued:
                turn = queued.popleft()
                try:
                    await turn()
                except Exception:
                    logger.exception("A %s turn failed.", self._channel)
        finally:
            del self._pending[conversation_id]


class TurnScheduler:
    """Turns accepted platform messages into background turns of the assistant.

    Drops a redelivered message (same conversation and platform message id), then queues the
    turn behind the conversation's earlier ones; `before` runs first (a typing indicator, the
    answer to a button tap).
    """

    def __init__(self, channel: str, choices: ChoiceMemory) -> None:
        self._channel = channel
        self._choices = choices
        self._seen = RecentIds()
        self._queue = ConversationQueue(channel)

    def accept(
        self,
        incoming: Incoming,
        output: OutputChannel,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        before: Optional[Callable[[], Awaitable[None]]] = None,
    ) -> bool:
        """Schedules the turn; False when the message was a duplicate."""
        conversation_id = namespaced(self._channel, incoming.user_id)
        if not self._seen.first_time(f"{conversation_id}/{incoming.message_id}"):
            return False

        async def turn() -> None:
            if before is not None:
                await before()
            await on_new_message(user_message(incoming, self._channel, output, self._choices))

        self._queue.submit(conversation_id, turn)
        return True


# --- sending ------------------------------------------------------------------------------


class NamespacedOutputChannel(OutputChannel):
    """Base of the platform output channels: only sends into its own channel's conversations.

    Rasa hands output channels the conversation id (`telegram:42`); an id from another namespace
    (a REST sender, say, reached through `output_channel=` in the HTTP API) is refused, so a
    stranger's conversation can never be messaged on a platform.
    """

    channel = ""

    def __init__(self, choices: ChoiceMemory, limits: Limits) -> None:
        self._choices = choices
        self._limits = limits

    @classmethod
    def name(cls) -> str:
        """Same name as the input channel, as Rasa's `output_channel=latest` expects."""
        return cls.channel

    def platform_user_id(self, recipient_id: str) -> Optional[str]:
        """The platform id inside `recipient_id`, or None (logged) when it is not ours."""
        prefix = f"{self.channel}:"
        if recipient_id.startswith(prefix) and len(recipient_id) > len(prefix):
            return recipient_id[len(prefix):]
        logger.warning(
            "Not sending on %s to a conversation of another channel.", self.channel
        )
        return None

    def offer_numbered(self, recipient_id: str, text: str, choices: Sequence[Choice]) -> str:
        """Numbered text for `choices`, remembered so that the customer can answer with a number."""
        self._choices.offer(recipient_id, choices)
        return numbered_text(text, choices)

    async def call_platform(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Runs a blocking library call (requests-based clients) off the event loop, bounded."""
        return await asyncio.wait_for(
            asyncio.to_thread(func, *args, **kwargs), self._limits.send_timeout
        )


def log_send_failure(channel: str, exc: BaseException) -> None:
    """Logs a failed send without the request (URLs may carry access tokens)."""
    logger.error(
        "Sending a %s reply failed: %s: %s",
        channel,
        type(exc).__name__,
        without_secrets(str(exc))[:300],
    )

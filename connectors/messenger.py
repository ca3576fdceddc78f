"""Facebook Messenger channel: webhook at /webhooks/messenger/webhook, replies through pymessenger.

Why not Rasa's built-in `facebook` channel: it checks only the legacy sha1 signature with `==`,
answers 200 to a bad signature, handles only the first event of a batched callback and holds the
webhook open for the whole turn. Here the `X-Hub-Signature-256` HMAC of the raw body is checked
in constant time (403 when missing or wrong), every event of every entry is handled, echoes,
deliveries and reads are skipped, and the webhook is answered before the turn runs.

Replies go through pymessenger's own request code with an explicit Graph API version and
`messaging_type: RESPONSE`; a person's reply from the agents' console (metadata `console_agent`)
goes as `messaging_type: MESSAGE_TAG` with `tag: HUMAN_AGENT`, which Messenger accepts up to
7 days after the customer's last message instead of 24 hours (the Page's app needs the Human
Agent permission). Rasa buttons become quick replies (at most 13, titles of at most 20
characters); when a title is longer they become a numbered list with quick replies "1", "2", ...,
and beyond 13 options a numbered list the customer answers by typing the number.

Messenger's webhook carries no name: the customer's first and last name and locale come from the
User Profile API (`GET <graph>/<version>/<PSID>?fields=first_name,last_name,locale`), looked up
at most once per customer while this process runs (`Profiles`, failures remembered too). The
lookup starts when the webhook arrives and the turn waits for it at most
MESSENGER_PROFILE_TIMEOUT seconds; a slower, failed or odd answer never delays the turn further
nor fails it (a late answer still reaches the customer's next message). The names go to the
console as message metadata, never to a log; the locale also lets the first reply be in the
customer's language.

Environment variables (all three secrets switch the channel on; none: off; some: start-up error):
- MESSENGER_PAGE_ACCESS_TOKEN: the Page access token used to send.
- MESSENGER_APP_SECRET: the app secret; signs every webhook body and the `appsecret_proof`.
- MESSENGER_VERIFY_TOKEN: the token typed in the app's webhook settings for the handshake.
- MESSENGER_API_VERSION (default v23.0): Graph API version, as "v23.0" or "23.0".
- MESSENGER_GRAPH_URL (default https://graph.facebook.com): Graph host, overridable for tests
  (sends and profile lookups).
- MESSENGER_PROFILE_LOOKUP (default 1): 0 switches the User Profile API lookups off.
- MESSENGER_PROFILE_TIMEOUT (default 2, seconds): how long a customer's first turn waits for
  their profile.
"""

import asyncio
import dataclasses
import hashlib
import hmac
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any

import httpx
from pydantic import Field, validator
from pymessenger import Bot
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.person_request import AGENT_KEY
from bot.runtime.log_scrubber import protect_secrets
from bot.settings import EnvironmentSettings, SettingsError, flag
from connectors.output import NamespacedOutputChannel, log_send_failure, split_text
from connectors.turns import (
    MESSENGER,
    Choice,
    ChoiceMemory,
    Incoming,
    Profile,
    TurnScheduler,
    checked_locale,
    choices_from_buttons,
    namespaced,
)
from connectors.webhook import (
    ChannelConfigurationError,
    Limits,
    dicts,
    disabled_blueprint,
    error,
    hmac_sha256,
    json_object,
    oversized,
    read_platform_settings,
    reject_credential_keys,
    secret_matches,
    signature_matches,
)

logger = logging.getLogger(__name__)

REQUIRED_VARIABLES = (
    "MESSENGER_PAGE_ACCESS_TOKEN",
    "MESSENGER_APP_SECRET",
    "MESSENGER_VERIFY_TOKEN",
)
DEFAULT_API_VERSION = "v23.0"
DEFAULT_GRAPH_URL = "https://graph.facebook.com"

MAX_TEXT_CHARS = 2000
# Messenger delivers at most 2,000 characters per message; longer text is not from Messenger.
MAX_INCOMING_CHARS = 2000
MAX_QUICK_REPLIES = 13
MAX_QUICK_REPLY_TITLE = 20
MAX_QUICK_REPLY_PAYLOAD = 1000
PROFILE_FIELDS = "first_name,last_name,locale"
# A profile is a few hundred bytes; an answer larger than this is not one and is not read further.
MAX_PROFILE_BYTES = 16 * 1024
# Customers whose profile lookup is remembered (the oldest is forgotten, then looked up again).
PROFILE_CACHE_SIZE = 10000


def expected_signature(app_secret: str, body: bytes) -> str:
    """The `X-Hub-Signature-256` value Meta sends for `body`."""
    return "sha256=" + hmac_sha256(app_secret, body).hex()


def parse_events(payload: dict[str, Any]) -> list[Incoming]:
    """Customer messages in a webhook body, in order, from every entry and messaging item.

    Text, quick-reply taps (their payload) and postbacks (their payload) count; echoes of the
    Page's own messages, deliveries, reads and anything unknown are skipped.
    """
    if payload.get("object") != "page":
        return []
    found = []
    for entry in dicts(payload.get("entry")):
        for event in dicts(entry.get("messaging")):
            incoming = _parse_event(event)
            if incoming is not None:
                found.append(incoming)
    return found


def _parse_event(event: dict[str, Any]) -> Incoming | None:
    sender = event.get("sender")
    sender_id = sender.get("id") if isinstance(sender, dict) else None
    message, postback = event.get("message"), event.get("postback")
    if isinstance(message, dict):
        if message.get("is_echo"):
            return None
        quick_reply = message.get("quick_reply")
        text = quick_reply.get("payload") if isinstance(quick_reply, dict) else None
        text = text or message.get("text")
        message_id = message.get("mid")
    elif isinstance(postback, dict):
        text = postback.get("payload") or postback.get("title")
        message_id = postback.get("mid") or postback_key(sender_id, event.get("timestamp"), text)
    else:
        return None
    return Incoming.checked(sender_id, text, message_id, MAX_INCOMING_CHARS)


def postback_key(sender_id: Any, timestamp: Any, payload: Any) -> str:
    """A de-duplication key for a postback that carries no `mid` (older Graph API versions):
    the same tap redelivered has the same key, two different taps in one millisecond do not."""
    digest = hashlib.sha256(
        json.dumps([sender_id, timestamp, payload], default=str).encode("utf-8", "replace")
    ).hexdigest()
    return f"postback:{digest[:32]}"


def quick_reply_message(text: str, choices: Sequence[Choice]) -> dict[str, Any] | None:
    """The message with titled quick replies, or None when Messenger's limits don't allow it."""
    if not 0 < len(choices) <= MAX_QUICK_REPLIES or len(text) > MAX_TEXT_CHARS:
        return None
    if any(len(c.title) > MAX_QUICK_REPLY_TITLE or len(c.payload) > MAX_QUICK_REPLY_PAYLOAD for c in choices):
        return None
    return {
        "text": text,
        "quick_replies": [{"content_type": "text", "title": c.title, "payload": c.payload} for c in choices],
    }


class ProfileSettings(EnvironmentSettings):
    """The profile lookups' settings (read with bot.settings, like every service's settings)."""

    lookup: bool = Field(True, env="MESSENGER_PROFILE_LOOKUP")
    timeout: float = Field(2.0, env="MESSENGER_PROFILE_TIMEOUT", gt=0, lt=60)

    _flag = validator("lookup", pre=True, allow_reuse=True)(flag)

    @classmethod
    def from_env(cls) -> "ProfileSettings":
        """The settings, or a start-up error naming the malformed variable."""
        try:
            return cls.read()
        except SettingsError as error:
            raise ChannelConfigurationError(str(error)) from None


def profile_from_answer(body: bytes) -> tuple[Profile | None, str | None]:
    """The names and locale in a User Profile API answer, each checked; nothing from anything else."""
    answer = json_object(body)
    if answer is None or "error" in answer:
        return None, None
    profile = Profile.checked(answer.get("first_name"), answer.get("last_name"))
    return profile, checked_locale(answer.get("locale"))


class Profiles:
    """Customers' Messenger profiles, each looked up at most once while the process runs.

    A lookup is a task started when the webhook arrives (`start`); a turn waits for it at most
    `timeout` seconds (`complete`), and a lookup still running then goes on in the background
    for the customer's next message. The answer, or its failure, is remembered for the last
    PROFILE_CACHE_SIZE customers. Nothing about a lookup is logged but its outcome's kind.
    """

    def __init__(
        self, graph_url: str, token: str, app_secret: str, settings: ProfileSettings, limits: Limits
    ) -> None:
        proof = hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
        protect_secrets([proof])  # the lookup's URL carries it (and the token) if a library logs it
        self._url = graph_url
        self._params = {"fields": PROFILE_FIELDS, "access_token": token, "appsecret_proof": proof}
        self._settings = settings
        self._limits = limits
        self._lookups: OrderedDict[str, asyncio.Task[tuple[Profile | None, str | None]]] = OrderedDict()
        self._client: httpx.AsyncClient | None = None

    def start(self, psid: str) -> None:
        """Starts the customer's lookup unless one was already made (or lookups are off)."""
        if not self._settings.lookup:
            return
        if psid in self._lookups:
            self._lookups.move_to_end(psid)
            return
        self._lookups[psid] = asyncio.get_running_loop().create_task(self._fetch(psid))
        if len(self._lookups) > PROFILE_CACHE_SIZE:
            self._lookups.popitem(last=False)

    async def complete(self, incoming: Incoming) -> Incoming:
        """`incoming` with the customer's profile and locale when the lookup has them in time."""
        lookup = self._lookups.get(incoming.user_id)
        if lookup is None:
            return incoming
        try:
            profile, locale = await asyncio.wait_for(asyncio.shield(lookup), self._settings.timeout)
        except asyncio.TimeoutError:
            return incoming
        return dataclasses.replace(incoming, profile=profile, locale=incoming.locale or locale)

    async def _fetch(self, psid: str) -> tuple[Profile | None, str | None]:
        """One User Profile API call; any failure is the absence of a profile."""
        try:
            return await asyncio.wait_for(self._read(psid), self._limits.send_timeout)
        except Exception as exc:  # a platform's failure must never reach the customer's turn
            logger.warning("Messenger's profile lookup failed: %s", type(exc).__name__)
            return None, None

    async def _read(self, psid: str) -> tuple[Profile | None, str | None]:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._limits.send_timeout)
        async with self._client.stream("GET", f"{self._url}/{psid}", params=self._params) as answer:
            body = b""
            async for chunk in answer.aiter_bytes():
                body += chunk
                if len(body) > MAX_PROFILE_BYTES:
                    logger.warning("Messenger's profile answer was larger than %d bytes.", MAX_PROFILE_BYTES)
                    return None, None
        if answer.status_code != 200:
            logger.warning("Messenger's profile lookup answered %d.", answer.status_code)
            return None, None
        return profile_from_answer(body)


class MessengerOutput(NamespacedOutputChannel):
    """Sends replies to a Messenger conversation through pymessenger's Send API calls."""

    channel = MESSENGER

    def __init__(self, bot: Bot, choices: ChoiceMemory, limits: Limits) -> None:
        super().__init__(choices, limits)
        self._bot = bot

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Sends `text`, split at Messenger's 2000-character limit; an agent's with the HUMAN_AGENT tag."""
        psid = self.platform_user_id(recipient_id)
        if psid is not None:
            for piece in split_text(text, MAX_TEXT_CHARS):
                await self._send(psid, {"text": piece}, human_agent=bool(kwargs.get(AGENT_KEY)))

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """Buttons as quick replies, or as numbered text when they don't fit (see module doc)."""
        psid = self.platform_user_id(recipient_id)
        if psid is None:
            return
        choices = choices_from_buttons(buttons)
        message = quick_reply_message(text, choices)
        if message is None:
            message = self._numbered(recipient_id, text, choices)
        pieces = split_text(message.pop("text"), MAX_TEXT_CHARS)
        for piece in pieces[:-1]:
            await self._send(psid, {"text": piece})
        await self._send(psid, {"text": pieces[-1], **message})

    def _numbered(self, recipient_id: str, text: str, choices: Sequence[Choice]) -> dict[str, Any]:
        message: dict[str, Any] = {"text": self.offer_numbered(recipient_id, text, choices)}
        if 0 < len(choices) <= MAX_QUICK_REPLIES:
            # a payload too long for Messenger travels as its number, mapped back by ChoiceMemory
            message["quick_replies"] = [
                {
                    "content_type": "text",
                    "title": str(number),
                    "payload": c.payload if len(c.payload) <= MAX_QUICK_REPLY_PAYLOAD else str(number),
                }
                for number, c in enumerate(choices, start=1)
            ]
        return message

    async def send_typing(self, recipient_id: str) -> None:
        """Shows the typing indicator while the assistant works on a turn."""
        psid = self.platform_user_id(recipient_id)
        if psid is not None:
            await self._call(self._bot.send_action, psid, "typing_on")

    async def _send(self, psid: str, message: dict[str, Any], human_agent: bool = False) -> None:
        kind = (
            {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}
            if human_agent
            else {"messaging_type": "RESPONSE"}
        )
        await self._call(self._bot.send_raw, {"recipient": {"id": psid}, **kind, "message": message})

    async def _call(self, func: Callable[..., Any], *args: Any) -> None:
        try:
            result = await self.call_platform(func, *args)
        except Exception as exc:
            log_send_failure(self.channel, exc)
            return
        if isinstance(result, dict) and "error" in result:
            failure = result["error"] if isinstance(result["error"], dict) else {}
            logger.error(
                "Messenger refused a message: code %s, %s",
                failure.get("code"),
                failure.get("type"),
            )


class MessengerInput(InputChannel):
    """Messenger webhook: handshake, signed events, background turns."""

    @classmethod
    def name(cls) -> str:
        """URL prefix `/webhooks/messenger/` and the metadata `channel` value."""
        return MESSENGER

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Builds the channel from MESSENGER_* variables (credentials.yml carries no keys)."""
        reject_credential_keys(f"{__name__}.{cls.__name__}", credentials)
        settings = read_platform_settings(
            MESSENGER,
            REQUIRED_VARIABLES,
            {
                "MESSENGER_API_VERSION": DEFAULT_API_VERSION,
                "MESSENGER_GRAPH_URL": DEFAULT_GRAPH_URL,
            },
        )
        return cls(settings, Limits.from_env(), ProfileSettings.from_env())

    def __init__(
        self, settings: dict[str, str] | None, limits: Limits, profile_settings: ProfileSettings
    ) -> None:
        self._settings = settings
        self._limits = limits
        self._choices = ChoiceMemory()
        self._output = None
        self._profiles = None
        if settings:
            bot = _graph_bot(settings)
            self._output = MessengerOutput(bot, self._choices, limits)
            self._profiles = Profiles(
                bot.graph_url,
                settings["MESSENGER_PAGE_ACCESS_TOKEN"],
                settings["MESSENGER_APP_SECRET"],
                profile_settings,
                limits,
            )

    def get_output_channel(self) -> OutputChannel | None:
        """Lets Rasa's HTTP API (an agent's takeover) reach the customer later."""
        return self._output

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Health, handshake and event routes; 503 everywhere when the channel is off."""
        if self._settings is None or self._output is None or self._profiles is None:
            return disabled_blueprint(MESSENGER, REQUIRED_VARIABLES)
        settings = self._settings
        output = self._output
        profiles = self._profiles
        turns = TurnScheduler(MESSENGER, self._choices)
        blueprint = Blueprint("messenger_webhook")

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @blueprint.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            if request.args.get("hub.mode") == "subscribe" and secret_matches(
                settings["MESSENGER_VERIFY_TOKEN"], request.args.get("hub.verify_token")
            ):
                return response.text(request.args.get("hub.challenge", ""))
            return error(403, "verification failed")

        @blueprint.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if oversized(request, self._limits):
                return error(413, "body too large")
            signature = expected_signature(settings["MESSENGER_APP_SECRET"], request.body)
            if not signature_matches(signature, request.headers.get("x-hub-signature-256")):
                return error(403, "bad signature")
            payload = json_object(request.body)
            if payload is None:
                return error(400, "body is not a JSON object")
            for incoming in parse_events(payload):
                conversation_id = namespaced(MESSENGER, incoming.user_id)
                profiles.start(incoming.user_id)  # runs while the webhook is answered
                turns.accept(
                    incoming,
                    output,
                    on_new_message,
                    before=partial(output.send_typing, conversation_id),
                    agent=request.app.ctx.agent,
                    complete=profiles.complete,
                )
            return response.json({"status": "received"})

        return blueprint


def _graph_bot(settings: dict[str, str]) -> Bot:
    version = settings["MESSENGER_API_VERSION"].lstrip("vV")
    if not version.replace(".", "").isdigit():
        raise ChannelConfigurationError(
            f"MESSENGER_API_VERSION must look like v23.0, got {settings['MESSENGER_API_VERSION']!r}."
        )
    bot = Bot(
        settings["MESSENGER_PAGE_ACCESS_TOKEN"],
        api_version=version,
        app_secret=settings["MESSENGER_APP_SECRET"],
    )
    bot.graph_url = f"{settings['MESSENGER_GRAPH_URL'].rstrip('/')}/v{version}"
    return bot

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

Environment variables (all three secrets switch the channel on; none: off; some: start-up error):
- MESSENGER_PAGE_ACCESS_TOKEN: the Page access token used to send.
- MESSENGER_APP_SECRET: the app secret; signs every webhook body and the `appsecret_proof`.
- MESSENGER_VERIFY_TOKEN: the token typed in the app's webhook settings for the handshake.
- MESSENGER_API_VERSION (default v23.0): Graph API version, as "v23.0" or "23.0".
- MESSENGER_GRAPH_URL (default https://graph.facebook.com): Graph host, overridable for tests.
"""

import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any

from pymessenger import Bot
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.person_request import AGENT_KEY
from connectors.output import NamespacedOutputChannel, log_send_failure, split_text
from connectors.turns import (
    MESSENGER,
    Choice,
    ChoiceMemory,
    Incoming,
    TurnScheduler,
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
        return cls(settings, Limits.from_env())

    def __init__(self, settings: dict[str, str] | None, limits: Limits) -> None:
        self._settings = settings
        self._limits = limits
        self._choices = ChoiceMemory()
        self._output = MessengerOutput(_graph_bot(settings), self._choices, limits) if settings else None

    def get_output_channel(self) -> OutputChannel | None:
        """Lets Rasa's HTTP API (an agent's takeover) reach the customer later."""
        return self._output

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Health, handshake and event routes; 503 everywhere when the channel is off."""
        if self._settings is None or self._output is None:
            return disabled_blueprint(MESSENGER, REQUIRED_VARIABLES)
        settings = self._settings
        output = self._output
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
                turns.accept(
                    incoming,
                    output,
                    on_new_message,
                    before=partial(output.send_typing, conversation_id),
                    agent=request.app.ctx.agent,
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

"""X (Twitter) direct messages via the Account Activity API: webhook at /webhooks/twitter/webhook.

X checks the webhook with a CRC challenge (GET with `crc_token`, answered at once with the HMAC
of the token) at registration and about hourly. The answer is computed with the same key and
format as an event's signature, so answering any token would sign any body a caller chooses
(send a forged DM event as `crc_token`, get its signature back, POST it): only tokens of the
shape X sends (letters, digits and the base64/UUID punctuation, at most 256 characters, never
`{`, so never a JSON body) are answered, anything else gets 400. Every event POST carries
`x-twitter-webhooks-signature`, the base64 HMAC-SHA256 of the raw body with the consumer secret,
checked here in constant time (403 when missing or wrong). `direct_message_events` are parsed
with their HTML entities unescaped; the account's own DMs (X delivers those too) are skipped; a
quick-reply tap's metadata is taken as the payload. The payload's `users` map, keyed by user id,
gives the sender's `name` and `screen_name`: they go into the metadata as the customer's profile
(shown to agents in the console; type-checked and bounded, never logged).

Replies go through tweepy. The v2 DM endpoint (the default) has no quick replies, so options
become a numbered list the customer answers with the number; with TWITTER_DM_API=v1.1 (for access
tiers that still have it) options become quick replies, up to 20 with labels of at most 36
characters, and numbered text beyond that.

Environment variables (the four secrets switch the channel on; none: off; some: start-up error):
- TWITTER_CONSUMER_KEY, TWITTER_CONSUMER_SECRET: the app's API key and secret (the secret
  also signs webhooks and CRC answers).
- TWITTER_ACCESS_TOKEN, TWITTER_ACCESS_TOKEN_SECRET: the support account's user tokens.
- TWITTER_DM_API (default v2): "v2" or "v1.1", which DM endpoint sends replies.
- TWITTER_API_URL (default https://api.twitter.com): API host, overridable for tests.
"""

import base64
import html
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import requests
import tweepy
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from connectors.output import NamespacedOutputChannel, log_send_failure, split_text
from connectors.turns import (
    TWITTER,
    Choice,
    ChoiceMemory,
    Incoming,
    Profile,
    TurnScheduler,
    choices_from_buttons,
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
    signature_matches,
)

logger = logging.getLogger(__name__)

REQUIRED_VARIABLES = (
    "TWITTER_CONSUMER_KEY",
    "TWITTER_CONSUMER_SECRET",
    "TWITTER_ACCESS_TOKEN",
    "TWITTER_ACCESS_TOKEN_SECRET",
)
REAL_API_URL = "https://api.twitter.com"
DM_API_VERSIONS = ("v2", "v1.1")

MAX_TEXT_CHARS = 10000
# X delivers at most 10,000 characters per DM; longer text is not from X.
MAX_INCOMING_CHARS = 10000
MAX_QUICK_REPLIES = 20
MAX_LABEL_CHARS = 36
MAX_METADATA_CHARS = 1000
# What X sends as `crc_token`: a random base64/base64url string (a UUID in published samples; a
# `+` arrives as a space when the query is decoded). A webhook body is a JSON object, which always
# contains `{`, so an accepted token can never be turned into an event signature.
CRC_TOKEN = re.compile(r"[A-Za-z0-9 _+/=.-]{1,256}")


def is_crc_token(token: str) -> bool:
    """Whether `token` has the shape of a CRC token X sends (and so is not a webhook body)."""
    return CRC_TOKEN.fullmatch(token) is not None


def crc_response_token(consumer_secret: str, crc_token: str) -> str:
    """The `response_token` X expects for a CRC challenge."""
    return signature(consumer_secret, crc_token.encode("utf-8"))


def signature(consumer_secret: str, body: bytes) -> str:
    """`sha256=` + base64 HMAC-SHA256, the scheme of CRC answers and webhook signatures."""
    return "sha256=" + base64.b64encode(hmac_sha256(consumer_secret, body)).decode("ascii")


def parse_events(payload: dict[str, Any]) -> list[Incoming]:
    """Customers' DMs in a webhook body, in order; the account's own DMs, other events skipped."""
    own_id = payload.get("for_user_id")
    given_users = payload.get("users")
    users: dict[str, Any] = given_users if isinstance(given_users, dict) else {}
    found = []
    for event in dicts(payload.get("direct_message_events")):
        message = event.get("message_create")
        if event.get("type") != "message_create" or not isinstance(message, dict):
            continue
        sender_id = message.get("sender_id")
        data = message.get("message_data")
        if str(sender_id) == str(own_id) or not isinstance(data, dict):
            continue
        quick_reply = data.get("quick_reply_response")
        metadata = quick_reply.get("metadata") if isinstance(quick_reply, dict) else None
        raw_text = data.get("text")
        text = (
            metadata
            if isinstance(metadata, str) and metadata
            else (html.unescape(raw_text) if isinstance(raw_text, str) else None)
        )
        user = users.get(sender_id) if isinstance(sender_id, str) else None
        user = user if isinstance(user, dict) else {}
        incoming = Incoming.checked(
            sender_id,
            text,
            event.get("id"),
            MAX_INCOMING_CHARS,
            locale=user.get("lang"),
            profile=Profile.checked(user.get("name"), username=user.get("screen_name")),
        )
        if incoming is not None:
            found.append(incoming)
    return found


def quick_reply_options(choices: Sequence[Choice]) -> list[dict[str, str]] | None:
    """v1.1 quick-reply options, or None when X's limits don't allow them."""
    if not 0 < len(choices) <= MAX_QUICK_REPLIES:
        return None
    if any(len(c.title) > MAX_LABEL_CHARS or len(c.payload) > MAX_METADATA_CHARS for c in choices):
        return None
    return [{"label": c.title, "metadata": c.payload} for c in choices]


class ApiSession(requests.Session):
    """The session tweepy sends through: to TWITTER_API_URL instead of its hard-coded host.

    Also gives every request a timeout: tweepy's v2 client passes none, so a stalled connection
    would otherwise hold a worker thread for good.
    """

    def __init__(self, api_url: str, timeout: float) -> None:
        super().__init__()
        self._api_url = api_url.rstrip("/")
        self._timeout = timeout

    def request(  # type: ignore[override]  # the same call, its many keywords passed through
        self, method: str, url: str, *args: Any, **kwargs: Any
    ) -> requests.Response:
        """Rewrites the host, keeps everything else (OAuth1 signs the rewritten URL)."""
        if url.startswith(REAL_API_URL):
            url = self._api_url + url[len(REAL_API_URL) :]
        kwargs["timeout"] = kwargs.get("timeout") or self._timeout
        return super().request(method, url, *args, **kwargs)


class TwitterOutput(NamespacedOutputChannel):
    """Sends DMs with tweepy: v2 `create_direct_message`, or v1.1 `send_direct_message`."""

    channel = TWITTER

    def __init__(
        self,
        client: tweepy.Client | None,
        api: tweepy.API | None,
        choices: ChoiceMemory,
        limits: Limits,
    ) -> None:
        super().__init__(choices, limits)
        self._client = client
        self._api = api

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Sends `text`, split at X's 10000-character DM limit."""
        user_id = self.platform_user_id(recipient_id)
        if user_id is not None:
            for piece in split_text(text, MAX_TEXT_CHARS):
                await self._send(user_id, piece)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """Quick replies on v1.1 when they fit, numbered text otherwise."""
        user_id = self.platform_user_id(recipient_id)
        if user_id is None:
            return
        choices = choices_from_buttons(buttons)
        options = quick_reply_options(choices) if self._api is not None else None
        if options is None:
            text = self.offer_numbered(recipient_id, text, choices)
        pieces = split_text(text, MAX_TEXT_CHARS)
        for piece in pieces[:-1]:
            await self._send(user_id, piece)
        await self._send(user_id, pieces[-1], options)

    async def _send(self, user_id: str, text: str, options: list[dict[str, str]] | None = None) -> None:
        try:
            if self._api is not None:
                await self.call_platform(
                    self._api.send_direct_message, user_id, text, quick_reply_options=options
                )
            elif self._client is not None:
                await self.call_platform(
                    self._client.create_direct_message, participant_id=user_id, text=text
                )
        except Exception as exc:
            log_send_failure(self.channel, exc)


class TwitterInput(InputChannel):
    """X Account Activity webhook: CRC, signed events, background turns."""

    @classmethod
    def name(cls) -> str:
        """URL prefix `/webhooks/twitter/` and the metadata `channel` value."""
        return TWITTER

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Builds the channel from TWITTER_* variables (credentials.yml carries no keys)."""
        reject_credential_keys(f"{__name__}.{cls.__name__}", credentials)
        settings = read_platform_settings(
            TWITTER, REQUIRED_VARIABLES, {"TWITTER_API_URL": REAL_API_URL, "TWITTER_DM_API": "v2"}
        )
        if settings and settings["TWITTER_DM_API"] not in DM_API_VERSIONS:
            raise ChannelConfigurationError(
                f"TWITTER_DM_API must be one of {', '.join(DM_API_VERSIONS)}, "
                f"got {settings['TWITTER_DM_API']!r}."
            )
        return cls(settings, Limits.from_env())

    def __init__(self, settings: dict[str, str] | None, limits: Limits) -> None:
        self._settings = settings
        self._limits = limits
        self._choices = ChoiceMemory()
        self._output = _output(settings, self._choices, limits) if settings else None

    def get_output_channel(self) -> OutputChannel | None:
        """Lets Rasa's HTTP API (an agent's takeover) reach the customer later."""
        return self._output

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Health, CRC and event routes; 503 everywhere when the channel is off."""
        if self._settings is None or self._output is None:
            return disabled_blueprint(TWITTER, REQUIRED_VARIABLES)
        secret = self._settings["TWITTER_CONSUMER_SECRET"]
        output = self._output
        turns = TurnScheduler(TWITTER, self._choices)
        blueprint = Blueprint("twitter_webhook")

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @blueprint.route("/webhook", methods=["GET"])
        async def crc(request: Request) -> HTTPResponse:
            token = request.args.get("crc_token")
            if not token:
                return error(400, "crc_token missing")
            if not is_crc_token(token):
                return error(400, "crc_token is not a CRC token")
            return response.json({"response_token": crc_response_token(secret, token)})

        @blueprint.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if oversized(request, self._limits):
                return error(413, "body too large")
            provided = request.headers.get("x-twitter-webhooks-signature")
            if not signature_matches(signature(secret, request.body), provided):
                return error(403, "bad signature")
            payload = json_object(request.body)
            if payload is None:
                return error(400, "body is not a JSON object")
            for incoming in parse_events(payload):
                turns.accept(incoming, output, on_new_message, agent=request.app.ctx.agent)
            return response.json({"status": "received"})

        return blueprint


def _output(settings: dict[str, str], choices: ChoiceMemory, limits: Limits) -> TwitterOutput:
    session = ApiSession(settings["TWITTER_API_URL"], limits.send_timeout)
    keys = (
        settings["TWITTER_CONSUMER_KEY"],
        settings["TWITTER_CONSUMER_SECRET"],
        settings["TWITTER_ACCESS_TOKEN"],
        settings["TWITTER_ACCESS_TOKEN_SECRET"],
    )
    if settings["TWITTER_DM_API"] == "v1.1":
        api = tweepy.API(tweepy.OAuth1UserHandler(*keys), timeout=limits.send_timeout)
        api.session = session
        return TwitterOutput(None, api, choices, limits)
    client = tweepy.Client(
        consumer_key=keys[0],
        consumer_secret=keys[1],
        access_token=keys[2],
        access_token_secret=keys[3],
    )
    client.session = session
    return TwitterOutput(client, None, choices, limits)

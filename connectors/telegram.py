"""Telegram channel: webhook at /webhooks/telegram/webhook, parsing and replies with PTB.

Why not Rasa's built-in `telegram` channel: it authenticates nothing and hard-wires debug mode.
Here every update must carry `X-Telegram-Bot-Api-Secret-Token` equal to TELEGRAM_WEBHOOK_SECRET
(403 otherwise), which `register_webhook` gives Telegram with setWebhook. Updates are parsed with
PTB's own `Update.de_json` (no polling Application); text messages of private chats and button
taps (callback queries, each answered so the client stops spinning) become turns, and the user's
`language_code` goes into the metadata as `locale`, so the first reply can already be in their
language; `first_name`, `last_name` and `username` go in as the customer's profile (shown to
agents in the console, type-checked and bounded: PTB keeps whatever types a body carries).
Telegram's "/start" (the first message of every chat) is handed to Rasa as the `/greet` intent.
Group chats are ignored: account matters are not discussed in front of others.

Replies: `Bot.send_message` with Rasa buttons as an inline keyboard. A payload longer than
Telegram's 64-byte callback_data travels as its option number and is mapped back on the tap.

Environment variables (both secrets switch the channel on; none: off; one: start-up error):
- TELEGRAM_BOT_TOKEN: the token from @BotFather.
- TELEGRAM_WEBHOOK_SECRET: 1-256 characters of A-Z a-z 0-9 _ -, sent by Telegram with every update.
- TELEGRAM_API_URL (default https://api.telegram.org): Bot API host, overridable for tests.
"""

import logging
import re
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import Bot, Chat, InlineKeyboardButton, InlineKeyboardMarkup, Update, User
from telegram.error import TelegramError
from telegram.request import HTTPXRequest

from bot.runtime.log_scrubber import without_secrets
from connectors.output import NamespacedOutputChannel, log_send_failure, split_text
from connectors.turns import (
    TELEGRAM,
    ChoiceMemory,
    Incoming,
    Profile,
    TurnScheduler,
    choices_from_buttons,
)
from connectors.webhook import (
    ChannelConfigurationError,
    Limits,
    disabled_blueprint,
    error,
    json_object,
    oversized,
    read_platform_settings,
    reject_credential_keys,
    secret_matches,
)

logger = logging.getLogger(__name__)

REQUIRED_VARIABLES = ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET")
DEFAULT_API_URL = "https://api.telegram.org"
WEBHOOK_PATH = "/webhooks/telegram/webhook"
ALLOWED_UPDATES = ["message", "callback_query"]
SECRET_FORMAT = re.compile(r"[A-Za-z0-9_-]{1,256}")
START_COMMAND = "/start"
START_PAYLOAD = "/greet"

MAX_TEXT_CHARS = 4096
# Telegram delivers at most 4,096 characters per message; longer text is not from Telegram.
MAX_INCOMING_CHARS = 4096
MAX_CALLBACK_DATA_BYTES = 64


def profile_of(user: User | None) -> Profile | None:
    """The customer's names and handle as Telegram gives them (`from` of the message or tap)."""
    if user is None:
        return None
    return Profile.checked(user.first_name, user.last_name, username=user.username)


def parse_update(update: Update) -> Incoming | None:
    """The customer message in an update, or None for anything the assistant doesn't handle."""
    query = update.callback_query
    if query is not None:
        chat = query.message.chat if query.message is not None else None
        if chat is not None and chat.type != Chat.PRIVATE:
            return None
        chat_id = chat.id if chat is not None else query.from_user.id
        return Incoming.checked(
            chat_id,
            query.data,
            query.id,
            MAX_INCOMING_CHARS,
            locale=query.from_user.language_code,
            profile=profile_of(query.from_user),
        )
    message = update.message
    if message is not None and message.text is not None and not isinstance(message.text, str):
        raise TypeError("message.text is not a string")  # answered 400: not from Telegram
    if message is None or not message.text or message.chat.type != Chat.PRIVATE:
        return None
    text = message.text
    words = text.split(maxsplit=1)
    if words and words[0].split("@")[0] == START_COMMAND:
        text = START_PAYLOAD
    return Incoming.checked(
        message.chat.id,
        text,
        message.message_id,
        MAX_INCOMING_CHARS,
        locale=message.from_user.language_code if message.from_user else None,
        profile=profile_of(message.from_user),
    )


def keyboard(buttons: list[dict[str, Any]]) -> tuple[InlineKeyboardMarkup, bool]:
    """One button per row; the flag says whether some option travels as its number."""
    rows = []
    numbered = False
    for number, choice in enumerate(choices_from_buttons(buttons), start=1):
        data = choice.payload
        if len(data.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES:
            data, numbered = str(number), True
        rows.append([InlineKeyboardButton(choice.title, callback_data=data)])
    return InlineKeyboardMarkup(rows), numbered


class TelegramOutput(NamespacedOutputChannel):
    """Sends replies with `Bot.send_message`; answers button taps."""

    channel = TELEGRAM

    def __init__(self, bot: Bot, choices: ChoiceMemory, limits: Limits) -> None:
        super().__init__(choices, limits)
        self._bot = bot

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Sends `text`, split at Telegram's 4096-character limit."""
        chat_id = self.platform_user_id(recipient_id)
        if chat_id is not None:
            for piece in split_text(text, MAX_TEXT_CHARS):
                await self._send(chat_id, piece)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """Text with an inline keyboard under its last piece."""
        chat_id = self.platform_user_id(recipient_id)
        if chat_id is None:
            return
        markup, numbered = keyboard(buttons)
        if numbered:
            self._choices.offer(recipient_id, choices_from_buttons(buttons))
        pieces = split_text(text, MAX_TEXT_CHARS)
        for piece in pieces[:-1]:
            await self._send(chat_id, piece)
        await self._send(chat_id, pieces[-1], markup)

    async def answer_callback(self, callback_query_id: str) -> None:
        """Tells Telegram the tap was received (its client shows a spinner until then)."""
        try:
            await self._bot.answer_callback_query(callback_query_id)
        except TelegramError as exc:
            log_send_failure(self.channel, exc)

    async def _send(self, chat_id: str, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        try:
            await self._bot.send_message(chat_id=chat_id, text=text, reply_markup=markup)
        except TelegramError as exc:
            log_send_failure(self.channel, exc)


class TelegramInput(InputChannel):
    """Telegram webhook: secret-token check, PTB parsing, background turns."""

    @classmethod
    def name(cls) -> str:
        """URL prefix `/webhooks/telegram/` and the metadata `channel` value."""
        return TELEGRAM

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Builds the channel from TELEGRAM_* variables (credentials.yml carries no keys)."""
        reject_credential_keys(f"{__name__}.{cls.__name__}", credentials)
        return cls(_settings(), Limits.from_env())

    def __init__(self, settings: dict[str, str] | None, limits: Limits) -> None:
        self._settings = settings
        self._limits = limits
        self._choices = ChoiceMemory()
        self._bot = make_bot(settings, http_request(limits)) if settings else None
        self._output = TelegramOutput(self._bot, self._choices, limits) if self._bot else None

    def get_output_channel(self) -> OutputChannel | None:
        """Lets Rasa's HTTP API (an agent's takeover) reach the customer later."""
        return self._output

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Health and update routes; 503 everywhere when the channel is off."""
        if self._settings is None or self._bot is None or self._output is None:
            return disabled_blueprint(TELEGRAM, REQUIRED_VARIABLES)
        secret = self._settings["TELEGRAM_WEBHOOK_SECRET"]
        bot = self._bot
        output = self._output
        turns = TurnScheduler(TELEGRAM, self._choices)
        blueprint = Blueprint("telegram_webhook")

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @blueprint.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if oversized(request, self._limits):
                return error(413, "body too large")
            if not secret_matches(secret, request.headers.get("x-telegram-bot-api-secret-token")):
                return error(403, "bad secret token")
            payload = json_object(request.body)
            if payload is None:
                return error(400, "body is not a JSON object")
            try:
                update = Update.de_json(payload, bot)
                incoming, query = parse_update(update), update.callback_query
            except Exception:  # PTB trusts Telegram's types; a forged body may break any of them
                logger.debug("Refused a body that is not a Telegram update.", exc_info=True)
                return error(400, "not a Telegram update")
            if incoming is not None:
                before = partial(output.answer_callback, query.id) if query else None
                turns.accept(incoming, output, on_new_message, before=before, agent=request.app.ctx.agent)
            elif query is not None and isinstance(query.id, str):  # an ignored tap is answered too
                request.app.add_task(output.answer_callback(query.id))
            return response.json({"status": "received"})

        return blueprint


def http_request(limits: Limits) -> HTTPXRequest:
    """PTB's HTTP client, giving up after the send timeout."""
    return HTTPXRequest(
        connection_pool_size=8,
        read_timeout=limits.send_timeout,
        write_timeout=limits.send_timeout,
        connect_timeout=limits.send_timeout,
    )


def make_bot(settings: dict[str, str], request: HTTPXRequest) -> Bot:
    """A PTB `Bot` on TELEGRAM_API_URL (sending needs no `initialize()`, hence no getMe call)."""
    api_url = settings["TELEGRAM_API_URL"].rstrip("/")
    return Bot(
        settings["TELEGRAM_BOT_TOKEN"],
        base_url=f"{api_url}/bot",
        base_file_url=f"{api_url}/file/bot",
        request=request,
        get_updates_request=request,
    )


def _settings() -> dict[str, str] | None:
    settings = read_platform_settings(TELEGRAM, REQUIRED_VARIABLES, {"TELEGRAM_API_URL": DEFAULT_API_URL})
    if settings and not SECRET_FORMAT.fullmatch(settings["TELEGRAM_WEBHOOK_SECRET"]):
        raise ChannelConfigurationError(
            "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and - "
            "(Telegram's rule for secret_token)."
        )
    return settings


def webhook_url(public_url: str) -> str:
    """The webhook address under the server's public base URL (or the full webhook URL as given)."""
    parts = urlsplit(public_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ChannelConfigurationError(
            f"The public URL must look like https://bot.example.com, got {public_url!r}."
        )
    base = public_url.strip().rstrip("/")
    return base if base.endswith(WEBHOOK_PATH) else base + WEBHOOK_PATH


async def register_webhook(public_url: str) -> str:
    """Tells Telegram to deliver updates to this server, with the webhook secret; returns the URL.

    `public_url` is the server's public base URL (https, as Telegram requires), e.g.
    https://bot.example.com; the webhook path is added to it.
    """
    settings = _settings()
    if settings is None:
        raise ChannelConfigurationError(
            f"Set {' and '.join(REQUIRED_VARIABLES)} before registering the Telegram webhook."
        )
    url = webhook_url(public_url)
    request = http_request(Limits.from_env())
    bot = make_bot(settings, request)
    try:
        await bot.set_webhook(
            url=url,
            secret_token=settings["TELEGRAM_WEBHOOK_SECRET"],
            allowed_updates=ALLOWED_UPDATES,
        )
    except TelegramError as exc:
        raise ChannelConfigurationError(
            f"Telegram refused the webhook {url}: {type(exc).__name__}: {without_secrets(exc.message)}"
        ) from None
    finally:
        await request.shutdown()
    return url

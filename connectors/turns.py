"""From an accepted platform message to a turn of the assistant: one conversation at a time.

A platform webhook must be answered within seconds (Messenger wants a 200 quickly, X's CRC
within 3 s), while a turn of the assistant can take longer. So every platform channel checks
the request (webhook.py), acknowledges it at once and hands the turn to a `ConversationQueue`,
which runs each conversation's messages one after the other, in the order they arrived.

Kept here:
- Conversation ids are namespaced by channel (`messenger:<psid>`), so a platform user is one
  Rasa conversation and no other channel can speak inside it.
- A redelivered message (same conversation, same platform message id) is processed once.
- Customer text goes through `bot.redaction.redact_credentials` before a `UserMessage` exists.
- Metadata on every user message: `channel`, `platform_message_id` and, when the platform
  says it, `locale` and the customer's `display_name` and `username` (`Profile`: shown to agents
  in the console, never logged); `cut_from` when the message was longer than the platform
  allows, in which case the customer is told, in their language, after the reply.
- Options a platform cannot show as buttons become numbered text; `ChoiceMemory` turns the
  customer's "2" back into the second option's payload.
"""

import asyncio
import logging
import re
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import (
    TYPE_CHECKING,
    Any,
    NamedTuple,
    Optional,
)

from rasa.core.channels.channel import OutputChannel, UserMessage

from bot.clean_text import clean_text
from bot.redaction import redact_credentials
from connectors.webhook import cut, platform_id

if TYPE_CHECKING:
    from rasa.core.agent import Agent

logger = logging.getLogger(__name__)

MESSENGER = "messenger"
TWITTER = "twitter"
TELEGRAM = "telegram"
REST = "rest"
PLATFORM_CHANNELS = (MESSENGER, TWITTER, TELEGRAM)
# The response (domain.yml) that tells a customer their message was cut; `{limit}` is filled.
CUT_RESPONSE = "utter_message_cut"
# Platform message ids and button payloads are short; anything longer is not the platform's.
MAX_MESSAGE_ID_CHARS = 256
# A display name as the console shows it (Telegram's first and last names are 64 each, X's 50).
MAX_NAME_CHARS = 128
MAX_LOCALE_CHARS = 16
# Telegram usernames are 5-32 and X screen names 1-15 of these characters.
_USERNAME = re.compile(r"[A-Za-z0-9_]{1,32}")


def namespaced(channel: str, platform_user_id: str) -> str:
    """The Rasa conversation id of a platform user: `<channel>:<platform id>`."""
    return f"{channel}:{platform_user_id}"


def display_text(value: Any, limit: int = MAX_NAME_CHARS) -> str | None:
    """A name a platform gives, as one clean line of at most `limit` characters, or None when it
    is not text: payloads are never trusted to have their documented shape (cut before cleaning,
    so a forged megabyte costs nothing; lone surrogates and control characters repaired, any
    run of spaces or line breaks made one space)."""
    if not isinstance(value, str):
        return None
    text = " ".join(clean_text(value[: limit * 2]).split())[:limit].strip()
    return text or None


@dataclass(frozen=True)
class Profile:
    """What a platform says about the customer, checked: shown to agents in the console's
    customer panel, never logged (names are customer data)."""

    name: str | None = None
    username: str | None = None

    @classmethod
    def checked(cls, *names: Any, username: Any = None) -> Optional["Profile"]:
        """The profile from the platform's name parts (first and last name, or one full name)
        and handle, each type-checked and bounded; None when none of them is usable."""
        parts = [part for part in (display_text(name) for name in names) if part]
        name = display_text(" ".join(parts)) if parts else None
        handle = username.removeprefix("@") if isinstance(username, str) else None
        handle = handle if handle and _USERNAME.fullmatch(handle) else None
        return cls(name, handle) if name or handle else None

    def metadata(self) -> dict[str, str]:
        """The message metadata keys the console reads (services.console.summaries)."""
        found = {"display_name": self.name, "username": self.username}
        return {key: value for key, value in found.items() if value}


def checked_locale(value: Any) -> str | None:
    """A platform's locale ("ru", "fr_FR") as text, bounded, or None when it is not text."""
    return clean_text(value)[:MAX_LOCALE_CHARS] if isinstance(value, str) and value else None


@dataclass(frozen=True)
class Incoming:
    """One customer message as a platform delivered it, checked and cleaned, before Rasa sees it.

    `user_id` is the platform's id of the conversation (PSID, X user id, Telegram chat id);
    `text` is what the customer typed or the payload of the option they tapped, at most `limit`
    characters; `cut_from` is its original length when it was longer.
    """

    user_id: str
    text: str
    message_id: str
    locale: str | None = None
    cut_from: int | None = None
    # The platform's limit the text was checked against (what the cut notice quotes).
    limit: int = field(default=0, compare=False)
    profile: Profile | None = None

    @classmethod
    def checked(
        cls,
        user_id: Any,
        text: Any,
        message_id: Any,
        limit: int,
        locale: Any = None,
        profile: Profile | None = None,
    ) -> Optional["Incoming"]:
        """The message when every field has the platform's type and shape, else None.

        The id must be a platform's decimal id (never repaired: two ids must not become one);
        the text is repaired (lone surrogates, control characters) and cut at `limit`.
        """
        conversation = platform_id(user_id)
        if conversation is None or not isinstance(text, str) or not text.strip():
            return None
        if isinstance(message_id, int) and not isinstance(message_id, bool):
            message_id = str(message_id)
        if not isinstance(message_id, str) or not message_id:
            return None
        message_id = clean_text(message_id)[:MAX_MESSAGE_ID_CHARS]
        kept, cut_from = cut(text, limit)  # cut first: cleaning a megabyte costs the event loop
        kept = clean_text(kept)
        if not kept.strip():
            return None
        return cls(
            user_id=conversation,
            text=kept,
            message_id=message_id,
            locale=checked_locale(locale),
            cut_from=cut_from,
            limit=limit,
            profile=profile,
        )


class RecentIds:
    """Platform message ids seen lately, so a redelivered message is processed once.

    Bounded and in memory: platforms redeliver within minutes, and one Rasa process owns the
    webhooks (Rasa runs a single Sanic worker unless a Redis lock store is configured).
    """

    def __init__(self, size: int = 10000) -> None:
        self._size = size
        self._seen: OrderedDict[str, None] = OrderedDict()

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


def choices_from_buttons(buttons: Iterable[dict[str, Any]]) -> list[Choice]:
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

    def __init__(self, size: int = 10000) -> None:
        self._size = size
        self._offers: OrderedDict[str, list[str]] = OrderedDict()

    def offer(self, conversation_id: str, choices: Sequence[Choice]) -> None:
        """Remembers numbered options just sent to `conversation_id`."""
        self._offers.pop(conversation_id, None)
        self._offers[conversation_id] = [choice.payload for choice in choices]
        if len(self._offers) > self._size:
            self._offers.popitem(last=False)

    def resolve(self, conversation_id: str, text: str) -> str:
        """The payload the customer's number stands for, else the text unchanged."""
        payloads = self._offers.pop(conversation_id, None)
        number = _option_number(text)
        if payloads and number is not None and 1 <= number <= len(payloads):
            return payloads[number - 1]
        return text


def _option_number(text: str) -> int | None:
    """The number in "2", " 2. " or "2)", else None (checked without a regex on long text)."""
    stripped = text.strip() if len(text) <= 16 else ""
    if stripped[-1:] in (".", ")"):
        stripped = stripped[:-1].rstrip()
    return int(stripped) if stripped.isascii() and stripped.isdigit() and len(stripped) <= 3 else None


def user_message(
    incoming: Incoming, channel: str, output: OutputChannel, choices: ChoiceMemory
) -> UserMessage:
    """The Rasa message for `incoming`: namespaced sender, redacted text, channel metadata.

    Built when the conversation's turn starts (not when the webhook arrives), so that a number
    refers to the options of the reply that was sent just before.
    """
    conversation_id = namespaced(channel, incoming.user_id)
    text = redact_credentials(choices.resolve(conversation_id, incoming.text))
    metadata: dict[str, Any] = {"channel": channel, "platform_message_id": incoming.message_id}
    if incoming.locale:
        metadata["locale"] = incoming.locale
    if incoming.profile is not None:
        metadata.update(incoming.profile.metadata())
    if incoming.cut_from is not None:
        metadata["cut_from"] = incoming.cut_from
    return UserMessage(text, output, conversation_id, input_channel=channel, metadata=metadata)


async def tell_cut(agent: "Agent", message: UserMessage, limit: int) -> None:
    """Tells the customer, in the conversation's language, that only the first `limit`
    characters of their message were read (the response `utter_message_cut`)."""
    try:
        tracker = await agent.tracker_store.retrieve(message.sender_id)
        if tracker is None or agent.nlg is None:
            return
        reply = await agent.nlg.generate(CUT_RESPONSE, tracker, message.output_channel.name(), limit=limit)
        if reply and reply.get("text"):
            await message.output_channel.send_text_message(message.sender_id, reply["text"])
    except Exception:
        logger.exception("Could not tell the customer that their message was cut.")


class ConversationQueue:
    """Runs turns in the background, one conversation's turns strictly in arrival order.

    Different conversations proceed concurrently; a failing turn is logged and the next one runs.
    """

    def __init__(self, channel: str) -> None:
        self._channel = channel
        self._pending: dict[str, deque[Callable[[], Awaitable[None]]]] = {}
        self._workers: set[asyncio.Task[None]] = set()

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
    answer to a button tap), then `complete`, which may add what the platform tells about the
    customer elsewhere (Messenger's profile, connectors.messenger.Profiles).
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
        before: Callable[[], Awaitable[None]] | None = None,
        agent: Optional["Agent"] = None,
        complete: Callable[[Incoming], Awaitable[Incoming]] | None = None,
    ) -> bool:
        """Schedules the turn; False when the message was a duplicate. `agent` (the request's
        `app.ctx.agent`) lets a cut message be followed by the notice in the right language."""
        conversation_id = namespaced(self._channel, incoming.user_id)
        if not self._seen.first_time(f"{conversation_id}/{incoming.message_id}"):
            return False

        async def turn() -> None:
            if before is not None:
                await before()
            completed = incoming if complete is None else await complete(incoming)
            message = user_message(completed, self._channel, output, self._choices)
            await on_new_message(message)
            if incoming.cut_from is not None and agent is not None:
                await tell_cut(agent, message, incoming.limit)

        self._queue.submit(conversation_id, turn)
        return True

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
  says it, `locale`; `cut_from` when the message was longer than the platform allows, in
  which case the customer is told, in their language, after the reply.
- Options a platform cannot show as buttons become numbered text; `ChoiceMemory` turns the
  customer's "2" back into the second option's payload.
"""

import asyncio
import logging
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


def namespaced(channel: str, platform_user_id: str) -> str:
    """The Rasa conversation id of a platform user: `<channel>:<platform id>`."""
    return f"{channel}:{platform_user_id}"


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

    @classmethod
    def checked(
        cls, user_id: Any, text: Any, message_id: Any, limit: int, locale: Any = None
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
            locale=clean_text(locale)[:16] if isinstance(locale, str) and locale else None,
            cut_from=cut_from,
            limit=limit,
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
        before: Callable[[], Awaitable[None]] | None = None,
        agent: Optional["Agent"] = None,
    ) -> bool:
        """Schedules the turn; False when the message was a duplicate. `agent` (the request's
        `app.ctx.agent`) lets a cut message be followed by the notice in the right language."""
        conversation_id = namespaced(self._channel, incoming.user_id)
        if not self._seen.first_time(f"{conversation_id}/{incoming.message_id}"):
            return False

        async def turn() -> None:
            if before is not None:
                await before()
            message = user_message(incoming, self._channel, output, self._choices)
            await on_new_message(message)
            if incoming.cut_from is not None and agent is not None:
                await tell_cut(agent, message, incoming.limit)

        self._queue.submit(conversation_id, turn)
        return True

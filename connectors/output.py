"""What every platform's output channel shares: sending only into its own conversations,
numbered options, long texts split, blocking clients off the event loop, failures logged safely."""

import asyncio
import logging
from typing import Any, Callable, List, Optional, Sequence, TypeVar

from rasa.core.channels.channel import OutputChannel

from bot.runtime.log_scrubber import without_secrets
from connectors.turns import Choice, ChoiceMemory, numbered_text
from connectors.webhook import Limits

logger = logging.getLogger(__name__)

T = TypeVar("T")


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

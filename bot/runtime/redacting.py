"""Every message redacted once more in Rasa's processor, knowing what was asked.

The connectors redact what they receive, but the command-line channel (`make shell`) and Rasa's
own channels do not, and none of them knows the conversation: a bare "Qwerty!2024" is only
recognisably a password when the assistant had just asked for the account's address. Here each
user message is run through `bot.redaction.redact_credentials` with the tracker's
`requested_slot` after the tracker is read and before the message is parsed, logged or stored,
whatever channel it came from (the redaction is idempotent, so a connector's earlier pass
changes nothing). `bot.runtime.server` installs it through `replace_method`, so a Rasa without
`MessageProcessor._handle_message_with_tracker` fails at start.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.trackers import DialogueStateTracker

from bot.redaction import redact_credentials
from bot.runtime.replace import replace_method


def redacting(handle: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """`MessageProcessor._handle_message_with_tracker` with the message's text redacted first."""

    async def handle_redacted(
        self: MessageProcessor, message: UserMessage, tracker: DialogueStateTracker
    ) -> Any:
        if message.text and not message.text.startswith("/"):
            message.text = redact_credentials(
                message.text,
                requested_slot=tracker.get_slot("requested_slot") if tracker.active_loop_name else None,
            )
        return await handle(self, message, tracker)

    return handle_redacted


def install() -> None:
    """Wraps the processor's message handling (once per process)."""
    current = getattr(MessageProcessor, "_handle_message_with_tracker", None)
    if getattr(current, "_redacts", False):
        return
    wrapped = redacting(MessageProcessor._handle_message_with_tracker)
    wrapped._redacts = True  # type: ignore[attr-defined]
    replace_method(MessageProcessor, "_handle_message_with_tracker", wrapped)

"""How long after a customer's last message each platform lets a person still answer.

Messenger accepts standard replies for 24 hours after the customer's last message; a person's
reply (sent by connectors.messenger with the HUMAN_AGENT tag) for 7 days. Telegram and X
direct messages have no such window. The console shows the state beside the composer and
refuses a reply the platform would refuse anyway, instead of letting it fail silently in the
connector's log.
"""

from dataclasses import dataclass

HOUR = 3600.0
MESSENGER_STANDARD_HOURS = 24
MESSENGER_HUMAN_AGENT_DAYS = 7


@dataclass(frozen=True)
class ReplyWindow:
    """Whether a person can still answer on the channel, and what to tell the agent."""

    open: bool
    note: str = ""


def reply_window(channel: str, last_message_at: float | None, now: float) -> ReplyWindow:
    """The reply window of a conversation on `channel` whose customer last wrote at `last_message_at`."""
    if channel != "messenger" or not last_message_at:
        return ReplyWindow(True)
    age = now - last_message_at
    if age <= MESSENGER_STANDARD_HOURS * HOUR:
        return ReplyWindow(True)
    if age <= MESSENGER_HUMAN_AGENT_DAYS * 24 * HOUR:
        return ReplyWindow(
            True,
            "Messenger's 24-hour window has closed: your reply goes out with the "
            "HUMAN_AGENT tag, accepted up to 7 days after the customer's last message.",
        )
    return ReplyWindow(
        False,
        "Messenger no longer accepts a reply: the customer last wrote more than 7 days "
        "ago. Answer by email, or wait until they write again.",
    )

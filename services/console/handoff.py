"""A person taking a conversation over from the assistant, and handing it back.

Everything goes through Rasa's HTTP API, never behind Rasa's back:
- take: `pause` (the assistant stops answering that conversation), the cancellation of the
  customer's wait-over reminder (bot.person_request), and a bot utterance telling the
  customer, in their language, that a person joined;
- reply: a bot utterance marked with the agent's name (metadata `console_agent`),
  sent on the channel the customer last wrote from;
- hand back: a bot utterance saying the person left, the `agent_outcome` slot, the
  `person_request` slot cleared (the customer no longer waits), and `resume`.
The console's `handoffs` table says who holds a conversation; its primary key
makes a second agent's take fail instead of two people answering at once.
"""

import time
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.person_request import AGENT_KEY, reminder_name
from bot.person_request import SLOT as PERSON_REQUEST_SLOT
from bot.redaction import redact_credentials
from services.console import audit, catalog
from services.console.auth import User
from services.console.queries import summary_of
from services.console.rasa_api import RasaClient
from services.console.schema import handoffs
from services.console.windows import reply_window

MAX_REPLY_CHARACTERS = 2000
# What an agent can record when handing back; written into the `agent_outcome` slot.
AGENT_OUTCOMES = {
    "resolved_by_agent": "resolved by the agent",
    "not_resolved": "not resolved",
    "customer_left": "the customer left",
    "follow_up_by_email": "follow-up by email",
}


class HandoffError(ValueError):
    """The takeover action cannot be done now; the message is shown to the agent."""


def _utterance(text: str, agent: User, notice: str = "") -> dict[str, Any]:
    metadata = {AGENT_KEY: agent.username, **({"console_notice": notice} if notice else {})}
    return {"event": "bot", "text": text, "metadata": metadata}


def holder(engine: Engine, conversation_id: str) -> str:
    """The agent holding the conversation, or "" when nobody does."""
    with engine.connect() as connection:
        return (
            connection.execute(
                select(handoffs.c.agent).where(handoffs.c.conversation_id == conversation_id)
            ).scalar()
            or ""
        )


async def take(engine: Engine, rasa: RasaClient, conversation_id: str, agent: User) -> None:
    """Pauses the assistant for the conversation and tells the customer a person joined."""
    summary = summary_of(engine, conversation_id)
    if summary is None:
        raise HandoffError("there is no such conversation")
    try:
        with engine.begin() as connection:
            connection.execute(
                insert(handoffs).values(
                    conversation_id=conversation_id, agent=agent.username, taken_at=time.time()
                )
            )
    except IntegrityError:
        raise HandoffError(f"{holder(engine, conversation_id)} has already taken this conversation") from None
    joined = catalog.message("joined", summary["language"])
    try:
        await rasa.append_events(
            conversation_id,
            [
                {"event": "pause"},
                {"event": "cancel_reminder", "name": reminder_name(conversation_id)},
                _utterance(joined, agent, "joined"),
            ],
        )
    except Exception:
        _release(engine, conversation_id)
        raise
    audit.record(engine, agent.username, "take_over", conversation_id)


def _require_holder(engine: Engine, conversation_id: str, agent: User) -> None:
    current = holder(engine, conversation_id)
    if not current:
        raise HandoffError("nobody has taken this conversation")
    if current != agent.username and not agent.is_admin:
        raise HandoffError(f"{current} holds this conversation")


def _release(engine: Engine, conversation_id: str) -> None:
    with engine.begin() as connection:
        connection.execute(delete(handoffs).where(handoffs.c.conversation_id == conversation_id))


async def reply(engine: Engine, rasa: RasaClient, conversation_id: str, agent: User, text: str) -> None:
    """Sends the agent's message to the customer, on the channel they wrote from.

    Redacted like everything stored: a reply is kept in the transcript, and a password has no
    place in a support chat whichever side types it.
    """
    text = redact_credentials(text.strip())
    if not text:
        raise HandoffError("the reply is empty")
    if len(text) > MAX_REPLY_CHARACTERS:
        raise HandoffError(f"a reply has at most {MAX_REPLY_CHARACTERS} characters")
    if holder(engine, conversation_id) != agent.username:
        raise HandoffError("take the conversation over before replying")
    summary = summary_of(engine, conversation_id) or {"channel": "", "last_message_at": None}
    window = reply_window(summary["channel"], summary["last_message_at"], time.time())
    if not window.open:
        raise HandoffError(window.note)
    await rasa.append_events(conversation_id, [_utterance(text, agent)])
    audit.record(engine, agent.username, "reply", conversation_id)


async def hand_back(
    engine: Engine, rasa: RasaClient, conversation_id: str, agent: User, outcome: str
) -> None:
    """Tells the customer the person left, records the outcome and resumes the assistant."""
    if outcome not in AGENT_OUTCOMES:
        raise HandoffError("choose what came of the conversation")
    _require_holder(engine, conversation_id, agent)
    summary = summary_of(engine, conversation_id) or {"language": ""}
    left = catalog.message("left", summary["language"])
    await rasa.append_events(
        conversation_id,
        [
            _utterance(left, agent, "left"),
            {"event": "slot", "name": "agent_outcome", "value": outcome},
            {"event": "slot", "name": PERSON_REQUEST_SLOT, "value": None},
            {"event": "resume"},
        ],
    )
    _release(engine, conversation_id)
    audit.record(engine, agent.username, "hand_back", conversation_id, outcome)

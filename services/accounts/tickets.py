"""Support tickets the assistant opens when it hands a customer over to people.

A summary is written from the conversation, where customers sometimes paste
passwords; it is redacted (`bot.redaction`) before it is stored, so a ticket
never carries a credential to an agent's screen.

A customer waiting for a person may ask for the answer by email instead: the ticket then records
it (`answer_by` "email") with the address they gave, if any. Nothing about accounts is looked at,
so the answer says nothing about whether that address has one.
"""

import secrets
import string
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from bot.redaction import redact_credentials
from services.accounts.storage import support_tickets, utcnow

# Short enough to read out or type, long enough (36**10) never to collide in practice.
_ID_ALPHABET = string.ascii_uppercase + string.digits
_ID_LENGTH = 10
_FIELDS = ("topic", "channel", "conversation_id", "email", "language", "summary")
_ANSWER_FIELDS = ("answer_by", "answer_email")
ANSWER_BY_EMAIL = "email"


def open_ticket(conn: Connection, fields: dict[str, Any]) -> str:
    """Stores a ticket from the checked request fields and returns its id."""
    ticket_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(_ID_LENGTH))
    values = {name: fields.get(name) for name in _FIELDS}
    values["summary"] = redact_credentials(fields["summary"])
    conn.execute(support_tickets.insert().values(id=ticket_id, created_at=utcnow(), **values))
    return ticket_id


def answer_by_email(conn: Connection, ticket_id: str, email: str | None) -> bool:
    """Records that the ticket's customer wants the answer by email (at `email`, when given; an
    address given before is kept when none is given now); False when there is no such ticket."""
    values: dict[str, Any] = {"answer_by": ANSWER_BY_EMAIL}
    if email is not None:
        values["answer_email"] = email
    changed = conn.execute(update(support_tickets).where(support_tickets.c.id == ticket_id).values(**values))
    return changed.rowcount == 1


def read_ticket(conn: Connection, ticket_id: str) -> dict[str, Any] | None:
    """The ticket as the API shows it, or None."""
    row = conn.execute(select(support_tickets).where(support_tickets.c.id == ticket_id)).first()
    if row is None:
        return None
    shown = ("id",) + _FIELDS + _ANSWER_FIELDS
    ticket = {name: getattr(row, name) for name in shown if getattr(row, name) is not None}
    ticket["created_at"] = row.created_at.isoformat()
    return ticket

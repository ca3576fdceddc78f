"""Erasing what the account service keeps about a customer's conversations and addresses.

The agents' console erases a conversation on request from every copy it knows (services.console.
retention); this service holds copies too: support tickets (with the conversation id, the
address and a summary), queued emails (the address and a working link) and their link tokens
(which stop working), idempotency keys (the
assistant's begin with the SHA-256 digest of the conversation id, see
actions.account_api.conversation_digest) and the rate limits' records (digests of the
conversation id and of the address). `erase` deletes all of them in one transaction and
counts what it deleted; nothing names what was erased afterwards.
"""

import hashlib
from collections.abc import Iterable

from sqlalchemy import delete, or_
from sqlalchemy.engine import Connection

from services.accounts.storage import (
    conversation_requests,
    email_sends,
    idempotency_keys,
    link_tokens,
    outbox,
    support_tickets,
)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def erase(conn: Connection, conversation_ids: Iterable[str], emails: Iterable[str]) -> dict[str, int]:
    """Deletes every record of the conversations and addresses; returns the counts."""
    ids, addresses = sorted(set(conversation_ids)), sorted(set(emails))
    digests = [_digest(cid) for cid in ids]
    counts = {"support_tickets": 0, "outbox_emails": 0, "links": 0, "idempotency_keys": 0, "limit_records": 0}
    if ids or addresses:
        counts["support_tickets"] = conn.execute(
            delete(support_tickets).where(
                or_(
                    support_tickets.c.conversation_id.in_(ids),
                    support_tickets.c.email.in_(addresses),
                    support_tickets.c.answer_email.in_(addresses),
                )
            )
        ).rowcount
    if addresses:
        counts["outbox_emails"] = conn.execute(
            delete(outbox).where(outbox.c.recipient.in_(addresses))
        ).rowcount
        counts["links"] = conn.execute(delete(link_tokens).where(link_tokens.c.email.in_(addresses))).rowcount
        counts["limit_records"] += conn.execute(
            delete(email_sends).where(email_sends.c.address_sha256.in_([_digest(a) for a in addresses]))
        ).rowcount
    if digests:
        # Keys made before they began with the digest began with the id itself.
        prefixes = [f"{d}:" for d in digests] + [f"{cid}:" for cid in ids]
        counts["idempotency_keys"] = conn.execute(
            delete(idempotency_keys).where(
                or_(*(idempotency_keys.c.key.startswith(p, autoescape=True) for p in prefixes))
            )
        ).rowcount
        counts["limit_records"] += conn.execute(
            delete(conversation_requests).where(conversation_requests.c.requester_sha256.in_(digests))
        ).rowcount
    return counts

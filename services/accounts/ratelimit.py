"""Limits on reset and confirmation emails that nobody can turn against an address's owner.

The old rule (3 requests per address per hour, shared by every caller) let three anonymous
requests for someone's address block that customer's own reset email for an hour. Now:

- **Per address and kind, a resend window instead of a refusal.** At most one email of a kind
  goes to an address per window (ACCOUNT_RESEND_MINUTES, default 20, and never more than half
  the links' lifetime). A request inside the window is answered exactly like any other (202)
  and sends nothing: the email sent at the window's start is in the owner's inbox and its link
  still works. Whoever floods an address, its owner always has a working link at most one window
  old, and the inbox gets at most 60/window emails of each kind an hour.
- **Per conversation, a refusal.** The assistant's action server names the conversation asking
  (`X-Conversation-Id`); one conversation may ask for at most ACCOUNT_MAX_REQUESTS_PER_CONVERSATION
  emails an hour (default 5, whatever the addresses), beyond that it gets 429 with Retry-After.
  Only the conversation that asked too often is refused. Callers that name no conversation (the
  service's own tests, an operator's script) are trusted holders of the API token and only get
  the resend window.

Both are the same whether or not an account exists, so neither reveals one. Rows hold SHA-256
digests, never addresses or conversation ids, and old rows are deleted as they fall out of use.
A refused request is not counted, so a caller who waits `retry_after` seconds is served.
"""

import hashlib
import math
from datetime import timedelta

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from services.accounts.errors import ApiError
from services.accounts.storage import conversation_requests, email_sends, utcnow

WINDOW = timedelta(hours=1)  # the per-conversation count's period
REQUESTER_HEADER = "X-Conversation-Id"


# Built once: SQLAlchemy reuses a statement's compiled form without working out its cache key
# again (0.12 -> 0.02 ms of CPU per statement; a reset request runs a dozen). A bound parameter
# of an UPDATE or INSERT must not be named like a column ("send_kind", not "kind"): SQLAlchemy
# keeps those names for the values it sets.
_FORGET_REQUESTS = delete(conversation_requests).where(
    conversation_requests.c.created_at <= bindparam("before")
)
_COUNT_REQUESTS = select(func.count(), func.min(conversation_requests.c.created_at)).where(
    conversation_requests.c.requester_sha256 == bindparam("digest")
)
_RECORD_REQUEST = conversation_requests.insert()
_FORGET_SENDS = delete(email_sends).where(email_sends.c.sent_at <= bindparam("before"))
_SEND_KEY = (email_sends.c.address_sha256 == bindparam("digest")) & (
    email_sends.c.kind == bindparam("send_kind")
)
_CLAIM_SEND = (
    update(email_sends)
    .where(_SEND_KEY & (email_sends.c.sent_at <= bindparam("window_start")))
    .values(sent_at=bindparam("claimed_at"))
)
_LAST_SEND = select(email_sends.c.sent_at).where(_SEND_KEY)
_RECORD_SEND = email_sends.insert()


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def count_conversation_request(conn: Connection, conversation: str | None, limit: int) -> None:
    """Records one request of `conversation`, or raises a 429 when it asked `limit` times."""
    if not conversation:
        return
    now = utcnow()
    digest = _digest(conversation)
    conn.execute(_FORGET_REQUESTS, {"before": now - WINDOW})
    count, oldest = conn.execute(_COUNT_REQUESTS, {"digest": digest}).one()
    if count >= limit:
        retry_after = max(1, math.ceil((oldest + WINDOW - now).total_seconds()))
        raise ApiError(429, "rate_limited", {"retry_after": retry_after}, {"Retry-After": str(retry_after)})
    conn.execute(_RECORD_REQUEST, {"requester_sha256": digest, "created_at": now})


def claim_fresh_email(conn: Connection, email: str, kind: str, window: timedelta) -> bool:
    """Whether a `kind` email may go to `email` now (none in the last `window`), claiming it.

    The claim is one guarded update (or the first insert), so two simultaneous requests cannot
    both send.
    """
    now = utcnow()
    digest = _digest(email)
    conn.execute(_FORGET_SENDS, {"before": now - WINDOW - window})
    key = {"digest": digest, "send_kind": kind}
    claimed = conn.execute(_CLAIM_SEND, {**key, "window_start": now - window, "claimed_at": now}).rowcount
    if claimed:
        return True
    if conn.execute(_LAST_SEND, key).first() is not None:
        return False
    try:
        with conn.begin_nested():
            conn.execute(_RECORD_SEND, {"address_sha256": digest, "kind": kind, "sent_at": now})
    except IntegrityError:  # a simultaneous request claimed it first
        return False
    return True

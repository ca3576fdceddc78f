"""The emails the service sends: password reset and device confirmation.

There is no mail server behind the reference service: with
ACCOUNT_DEV_OUTBOX=1 an email is a row in the outbox table, readable through
`GET /v1/outbox` and `GET /dev/outbox`. With the outbox off nothing is kept,
since a stored email holds a working link and the database must never hold
anything that opens an account.

Senders are the ones the Parallels article tells customers to look for (and
to whitelist): ``noreply@parallels.com`` for password resets,
``no-reply@parallels.com`` for device/browser confirmations.

`send_if_account_exists` runs as a background task after the API has already
answered 202, so whether an account exists never shows in the response.
"""

import logging
from datetime import timedelta
from typing import Any, NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection, Engine

from services.accounts import links
from services.accounts.settings import Settings
from services.accounts.storage import accounts, outbox, utcnow

logger = logging.getLogger(__name__)


class EmailKind(NamedTuple):
    """How one kind of email looks."""

    sender: str
    subject: str


KINDS = {
    links.PASSWORD_RESET: EmailKind("noreply@parallels.com", "Reset your Parallels account password"),
    links.DEVICE_CONFIRMATION: EmailKind("no-reply@parallels.com", "Confirm your device or browser"),
}


# Built once, as services.accounts.ratelimit's statements.
_ACCOUNT = select(accounts.c.email).where(accounts.c.email == bindparam("address"))
_QUEUE = outbox.insert()


async def send_if_account_exists(engine: Engine, settings: Settings, email: str, kind: str) -> None:
    """Queues a `kind` email with a fresh link to `email`, only if it has an account."""
    if not settings.dev_outbox:
        logger.info("%s email not kept: ACCOUNT_DEV_OUTBOX is off and there is no mail transport", kind)
        return
    try:
        with engine.begin() as conn:
            if conn.execute(_ACCOUNT, {"address": email}).first() is None:
                return
            token = links.issue(conn, email, kind, timedelta(minutes=settings.link_ttl_minutes))
            conn.execute(
                _QUEUE,
                {
                    "recipient": email,
                    "sender": KINDS[kind].sender,
                    "kind": kind,
                    "subject": KINDS[kind].subject,
                    "link": f"{settings.public_url}/links/{token}",
                    "created_at": utcnow(),
                },
            )
    except Exception:  # a background task has no caller to tell; the log must (without the address)
        logger.exception("could not queue a %s email", kind)


def read_outbox(
    conn: Connection, recipient: str | None = None, newest_first: bool = False
) -> list[dict[str, Any]]:
    """Queued emails, all of them or those to `recipient`, in the API's shape."""
    query = select(outbox)
    if recipient is not None:
        query = query.where(outbox.c.recipient == recipient)
    query = query.order_by(outbox.c.id.desc() if newest_first else outbox.c.id)
    return [
        {
            "to": row.recipient,
            "from": row.sender,
            "kind": row.kind,
            "subject": row.subject,
            "created_at": row.created_at.isoformat(),
            "link": row.link,
        }
        for row in conn.execute(query)
    ]

"""Single-use, expiring link tokens, stored only as SHA-256 digests.

An emailed link is as good as a password for as long as it works, so the
database keeps only a digest (a leaked table opens nothing), a token works
once and only until it expires, and `consume` marks it used with an update
guarded by the same conditions, so two clicks cannot both succeed.
"""

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from services.accounts.storage import link_tokens, utcnow

# What a token lets its holder do.
PASSWORD_RESET = "password_reset"
DEVICE_CONFIRMATION = "device_confirmation"


# The statements of every emailed link, built once (as services.accounts.ratelimit's).
_ISSUE = link_tokens.insert()
_REVOKE = (
    update(link_tokens)
    .where(
        (link_tokens.c.email == bindparam("address"))
        & link_tokens.c.purpose.in_(bindparam("purposes", expanding=True))
        & link_tokens.c.used_at.is_(None)
    )
    .values(used_at=bindparam("revoked_at"))
)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(conn: Connection, email: str, purpose: str, ttl: timedelta) -> str:
    """A new token for `email` and `purpose`, ending the older ones; only its digest is stored.

    Only the newest emailed link works, so a link found later in an old email (or a leaked
    mailbox) opens nothing once a new one was sent.
    """
    revoke(conn, email, (purpose,))
    token = secrets.token_urlsafe(32)
    now = utcnow()
    conn.execute(
        _ISSUE,
        {
            "token_sha256": _digest(token),
            "email": email,
            "purpose": purpose,
            "created_at": now,
            "expires_at": now + ttl,
        },
    )
    return token


class Link(NamedTuple):
    """What a consumed token was for."""

    email: str
    purpose: str


def _usable(token: str, purposes: Iterable[str], now: datetime) -> ColumnElement:
    return (
        (link_tokens.c.token_sha256 == _digest(token))
        & link_tokens.c.purpose.in_(list(purposes))
        & link_tokens.c.used_at.is_(None)
        & (link_tokens.c.expires_at > now)
    )


def find(conn: Connection, token: str, purposes: Iterable[str]) -> Link | None:
    """What `token` is for, without using it; None if it is unknown, used, expired or for another purpose."""
    row = conn.execute(
        select(link_tokens.c.email, link_tokens.c.purpose).where(_usable(token, purposes, utcnow()))
    ).first()
    return None if row is None else Link(row.email, row.purpose)


def consume(conn: Connection, token: str, purposes: Iterable[str]) -> Link | None:
    """Uses `token` up; None if it is unknown, used, expired or for another purpose."""
    now = utcnow()
    link = find(conn, token, purposes)
    # The guarded update is what makes the token single-use under concurrent clicks.
    if (
        link is None
        or conn.execute(update(link_tokens).where(_usable(token, purposes, now)).values(used_at=now)).rowcount
        != 1
    ):
        return None
    return link


def revoke(conn: Connection, email: str, purposes: Iterable[str]) -> None:
    """Ends every unused token of `email` for `purposes` (after a deletion or a password change)."""
    conn.execute(_REVOKE, {"address": email, "purposes": list(purposes), "revoked_at": utcnow()})

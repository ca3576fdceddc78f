"""Creating, deleting and re-passwording accounts under the article's rules.

The HTTP API and the reset page both change accounts; this module is the one
place that does, so the rules (`services.accounts.rules`) are applied the same way
everywhere. Password hashing (argon2, deliberately slow) runs in a worker
thread so one registration does not stall every other request.
"""

import asyncio
from datetime import datetime

from argon2 import PasswordHasher
from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from services.accounts import links
from services.accounts.rules import cooldown_days_left, password_too_common
from services.accounts.storage import accounts, deleted_addresses, utcnow

_hasher = PasswordHasher()


class PasswordTooCommon(Exception):
    """The password is one the article's "widely used" error refuses."""


class EmailInUse(Exception):
    """An account already uses the address."""


class EmailRecentlyDeleted(Exception):
    """The address belonged to a deleted account and is still in its cooldown."""

    def __init__(self, days_left: int) -> None:
        super().__init__(f"{days_left} days left")
        self.days_left = days_left


def hash_password(password: str) -> str:
    """The argon2 hash of `password`, for code that is not serving requests."""
    return _hasher.hash(password)


async def _hash(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(None, hash_password, password)


def _check_address_free(conn: Connection, email: str, cooldown_days: int) -> None:
    if conn.execute(select(accounts.c.email).where(accounts.c.email == email)).first() is not None:
        raise EmailInUse(email)
    deleted_at = conn.execute(
        select(deleted_addresses.c.deleted_at).where(deleted_addresses.c.email == email)
    ).scalar()
    if deleted_at is not None:
        days_left = cooldown_days_left(deleted_at, utcnow(), cooldown_days)
        if days_left:
            raise EmailRecentlyDeleted(days_left)


async def register(engine: Engine, email: str, password: str, cooldown_days: int) -> datetime:
    """Creates the account for the canonical address `email`; returns its creation time."""
    if password_too_common(password, email):
        raise PasswordTooCommon()
    with engine.begin() as conn:
        _check_address_free(conn, email, cooldown_days)
    password_hash = await _hash(password)
    created_at = utcnow()
    try:
        with engine.begin() as conn:
            _check_address_free(conn, email, cooldown_days)
            conn.execute(delete(deleted_addresses).where(deleted_addresses.c.email == email))
            conn.execute(
                accounts.insert().values(email=email, password_hash=password_hash, created_at=created_at)
            )
    except IntegrityError:  # registered by a concurrent request while this one was hashing
        raise EmailInUse(email) from None
    return created_at


def delete_account(engine: Engine, email: str) -> None:
    """Deletes the account, if any, and starts the address's reuse cooldown."""
    with engine.begin() as conn:
        if conn.execute(delete(accounts).where(accounts.c.email == email)).rowcount == 0:
            return
        conn.execute(delete(deleted_addresses).where(deleted_addresses.c.email == email))
        conn.execute(deleted_addresses.insert().values(email=email, deleted_at=utcnow()))
        links.revoke(conn, email, (links.PASSWORD_RESET, links.DEVICE_CONFIRMATION))


async def change_password(engine: Engine, email: str, password: str) -> bool:
    """Sets a new password and ends every other reset link; False if the account is gone.

    The caller has judged the password with `rules.password_too_common` first,
    before using up the reset link, so a refused password leaves the form usable.
    """
    password_hash = await _hash(password)
    with engine.begin() as conn:
        changed = conn.execute(
            update(accounts).where(accounts.c.email == email).values(password_hash=password_hash)
        ).rowcount
        links.revoke(conn, email, (links.PASSWORD_RESET,))
    return changed == 1

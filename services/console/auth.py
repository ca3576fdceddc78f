"""Agents' accounts, sign-in sessions, CSRF tokens and sign-in throttling.

- Passwords are argon2 hashes; a new one must be at least 12 characters and not
  guessable (zxcvbn score 3 or more), because these accounts read customers'
  conversations. An unknown name costs the same hash check as a known one, so
  timing does not tell which names exist.
- A session is a random cookie value; the database keeps only its HMAC under
  CONSOLE_SECRET_KEY, so a copy of the table signs no one in.
- The CSRF token of a session is another HMAC of the cookie value: nothing to
  store, and useless without the cookie.
- Sign-in attempts are counted per name and per client address (as digests)
  *before* the password is checked, each with one guarded update, so that N
  simultaneous guesses get at most the limit of password checks (counting
  failures afterwards let 40 parallel guesses all through). Past the limit
  within the window, attempts are refused without checking the password, so
  guessing costs the attacker the window each time; a successful sign-in
  forgets the name's count and gives the address its attempt back.
"""

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import and_, case, delete, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from zxcvbn import zxcvbn

from services.console.schema import login_attempts, sessions, users

ROLES = ("agent", "admin")
# The REST sender ids of the "try it" page: agents trying the assistant, never customers.
TRY_PREFIX = "console-try-"
MIN_PASSWORD_LENGTH = 12
MIN_PASSWORD_SCORE = 3
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")

_hasher = PasswordHasher()
# Checked against when the name is unknown, so that both cases take as long.
_UNKNOWN_USER_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    """A user cannot be created as asked; the message says why, for the person at the terminal."""


@dataclass(frozen=True)
class User:
    """A signed-in agent."""

    id: int
    username: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def create_user(engine: Engine, username: str, password: str, role: str) -> User:
    """Adds an account, refusing a malformed name, an unknown role, a weak password or a taken name."""
    if not USERNAME.match(username):
        raise AccountError("the name must be 2-64 characters: lower-case letters, digits, '.', '_' or '-'")
    if role not in ROLES:
        raise AccountError(f"the role must be one of {', '.join(ROLES)}")
    password_hash = hash_password(username, password)
    try:
        with engine.begin() as connection:
            result = connection.execute(
                insert(users).values(
                    username=username, password_hash=password_hash, role=role, created_at=time.time()
                )
            )
    except IntegrityError:
        raise AccountError(f"an account named {username!r} already exists") from None
    return User(result.inserted_primary_key[0], username, role)


def hash_password(username: str, password: str) -> str:
    """The stored hash of a new password for `username`, refusing a short or guessable one."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if zxcvbn(password[:100], user_inputs=[username])["score"] < MIN_PASSWORD_SCORE:
        raise AccountError("the password is too easy to guess: use a longer passphrase")
    return _hasher.hash(password)


def authenticate(engine: Engine, username: str, password: str) -> User | None:
    """The user when the name and password match, else None (after the same amount of work)."""
    with engine.connect() as connection:
        row = connection.execute(select(users).where(users.c.username == username.strip().lower())).first()
    try:
        _hasher.verify(row.password_hash if row else _UNKNOWN_USER_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    # A disabled account (services.console.users) signs in no more, after the same work.
    return User(row.id, row.username, row.role) if row and not row.disabled else None


class Sessions:
    """Sign-in sessions and their CSRF tokens, keyed by CONSOLE_SECRET_KEY."""

    def __init__(self, engine: Engine, secret_key: str, hours: float) -> None:
        self._engine = engine
        self._key = secret_key.encode()
        self._seconds = hours * 3600

    def digest(self, value: str) -> str:
        """A keyed digest: what is stored instead of a cookie value, a name or an address."""
        return hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()

    def csrf_token(self, session_token: str) -> str:
        """The CSRF token forms of this session must carry."""
        return self.digest(f"csrf:{session_token}")

    def open(self, user: User) -> str:
        """A new session for `user`; returns the cookie value."""
        token = secrets.token_urlsafe(32)
        now = time.time()
        with self._engine.begin() as connection:
            connection.execute(delete(sessions).where(sessions.c.expires_at < now))
            connection.execute(
                insert(sessions).values(
                    token_digest=self.digest(token),
                    user_id=user.id,
                    created_at=now,
                    expires_at=now + self._seconds,
                )
            )
        return token

    def user_of(self, token: str) -> User | None:
        """The user a live session cookie belongs to."""
        query = (
            select(users.c.id, users.c.username, users.c.role)
            .join(sessions, sessions.c.user_id == users.c.id)
            .where(and_(sessions.c.token_digest == self.digest(token), sessions.c.expires_at > time.time()))
        )
        with self._engine.connect() as connection:
            row = connection.execute(query).first()
        return User(row.id, row.username, row.role) if row else None

    def close(self, token: str) -> None:
        """Signs the session out."""
        with self._engine.begin() as connection:
            connection.execute(delete(sessions).where(sessions.c.token_digest == self.digest(token)))

    def try_sender(self, token: str) -> str:
        """The REST sender id of this session's "try it" conversation, created on first use."""
        key = sessions.c.token_digest == self.digest(token)
        with self._engine.begin() as connection:
            sender = connection.execute(select(sessions.c.try_sender).where(key)).scalar()
            if not sender:
                sender = f"{TRY_PREFIX}{secrets.token_hex(8)}"
                connection.execute(sessions.update().where(key).values(try_sender=sender))
        return sender


class _Refused(Exception):
    """Rolls back the attempt's transaction: one of its keys was at its limit."""


class Throttle:
    """Counts sign-in attempts per name and per client address, and says when to stop listening.

    An address gets ADDRESS_FACTOR times the limit of a name, so that colleagues
    behind one office address do not lock each other out as quickly. Windows are
    fixed: a key's count starts again `window_minutes` after its first attempt.
    """

    ADDRESS_FACTOR = 4

    def __init__(self, engine: Engine, sessions_: Sessions, max_failures: int, window_minutes: float) -> None:
        self._engine = engine
        self._digest = sessions_.digest
        self._max = max_failures
        self._window = window_minutes * 60

    def _keys(self, name: str, address: str) -> list[tuple[str, int]]:
        return [
            (self._digest(f"login-name:{name.strip().lower()}"), self._max),
            (self._digest(f"login-address:{address}"), self._max * self.ADDRESS_FACTOR),
        ]

    def admit(self, name: str, address: str) -> bool:
        """Counts one attempt for the name and the address, or refuses it (counting nothing) when
        either is at its limit. Atomic: the count is raised by an update that re-checks the limit."""
        now = time.time()
        since = now - self._window
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    delete(login_attempts).where(login_attempts.c.window_start < since - self._window)
                )
                for key, limit in self._keys(name, address):
                    self._ensure_row(connection, key, now)
                    expired = login_attempts.c.window_start <= since
                    counted = connection.execute(
                        update(login_attempts)
                        .where(
                            and_(
                                login_attempts.c.key_digest == key, expired | (login_attempts.c.count < limit)
                            )
                        )
                        .values(
                            count=case((expired, 1), else_=login_attempts.c.count + 1),
                            window_start=case((expired, now), else_=login_attempts.c.window_start),
                        )
                    ).rowcount
                    if counted != 1:
                        raise _Refused()
        except _Refused:
            return False
        return True

    @staticmethod
    def _ensure_row(connection: Any, key: str, now: float) -> None:
        exists = connection.execute(
            select(login_attempts.c.key_digest).where(login_attempts.c.key_digest == key)
        ).first()
        if exists is None:
            connection.execute(insert(login_attempts).values(key_digest=key, window_start=now, count=0))

    def succeeded(self, name: str, address: str) -> None:
        """Forgets the attempts of a name that has just signed in; its address gets one back."""
        name_key, address_key = (key for key, _ in self._keys(name, address))
        with self._engine.begin() as connection:
            connection.execute(delete(login_attempts).where(login_attempts.c.key_digest == name_key))
            connection.execute(
                update(login_attempts)
                .where(and_(login_attempts.c.key_digest == address_key, login_attempts.c.count > 0))
                .values(count=login_attempts.c.count - 1)
            )

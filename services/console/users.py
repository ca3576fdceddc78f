"""Admins looking after the agents' accounts: create, disable or enable, change role, reset password.

The console's pages and `python -m services.console` both come here, and every change is
recorded in the audit trail with who made it (the admin's name, or `cli` for a terminal
without one). Accounts are never deleted, so that the audit trail keeps naming real
accounts: a leaver is disabled. Disabling, demoting or resetting a password ends the
account's open sessions at once. The last enabled admin can be neither disabled nor demoted,
so the console always has someone who can manage it.
"""

from typing import Any

from sqlalchemy import and_, delete, false, func, select, update
from sqlalchemy.engine import Connection, Engine

from services.console import audit
from services.console.auth import ROLES, AccountError, User, create_user, hash_password
from services.console.schema import sessions, users


def accounts(engine: Engine) -> list[dict[str, Any]]:
    """Every account, by name (no password hash)."""
    query = select(users.c.id, users.c.username, users.c.role, users.c.created_at, users.c.disabled).order_by(
        users.c.username
    )
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]


def create(engine: Engine, username: str, password: str, role: str, actor: str) -> User:
    """A new account (see services.console.auth.create_user for what is refused)."""
    user = create_user(engine, username.strip().lower(), password, role)
    audit.record(engine, actor, "create_user", None, f"{user.username} as {user.role}")
    return user


def _account(connection: Connection, username: str) -> Any:
    row = connection.execute(select(users).where(users.c.username == username)).first()
    if row is None:
        raise AccountError(f"there is no account named {username!r}")
    return row


def _other_enabled_admins(connection: Connection, username: str) -> int:
    return connection.execute(
        select(func.count())
        .select_from(users)
        .where(and_(users.c.role == "admin", users.c.disabled == false(), users.c.username != username))
    ).scalar()


def _end_sessions(connection: Connection, user_id: int) -> None:
    connection.execute(delete(sessions).where(sessions.c.user_id == user_id))


def set_disabled(engine: Engine, username: str, disabled: bool, actor: str) -> None:
    """Disables an account (its sessions end) or enables it again."""
    with engine.begin() as connection:
        row = _account(connection, username)
        if disabled and row.role == "admin" and not _other_enabled_admins(connection, username):
            raise AccountError("this is the last enabled admin: make another admin first")
        connection.execute(update(users).where(users.c.id == row.id).values(disabled=disabled))
        if disabled:
            _end_sessions(connection, row.id)
    audit.record(engine, actor, "disable_user" if disabled else "enable_user", None, username)


def set_role(engine: Engine, username: str, role: str, actor: str) -> None:
    """Changes an account's role; a demoted admin is signed out."""
    if role not in ROLES:
        raise AccountError(f"the role must be one of {', '.join(ROLES)}")
    with engine.begin() as connection:
        row = _account(connection, username)
        if row.role == role:
            return
        if row.role == "admin" and not _other_enabled_admins(connection, username):
            raise AccountError("this is the last enabled admin: make another admin first")
        connection.execute(update(users).where(users.c.id == row.id).values(role=role))
        if role != "admin":
            _end_sessions(connection, row.id)
    audit.record(engine, actor, "change_role", None, f"{username}: {row.role} -> {role}")


def reset_password(engine: Engine, username: str, password: str, actor: str) -> None:
    """Sets a new password (checked like any new one) and ends the account's sessions."""
    password_hash = hash_password(username, password)
    with engine.begin() as connection:
        row = _account(connection, username)
        connection.execute(update(users).where(users.c.id == row.id).values(password_hash=password_hash))
        _end_sessions(connection, row.id)
    audit.record(engine, actor, "reset_password", None, username)

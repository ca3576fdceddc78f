"""The audit trail: every agent action on a conversation or an account, and who did it.

Recorded: signing in, failed and refused sign-ins, reading a transcript (the
page, and its refreshes at most once per READ_EVERY seconds), searching the
list, reading the corrections, notes, tags, review marks, intent corrections,
replies, taking over, handing back, exports, erasures, purges and user
management. Entries name the actor, the action and the conversation id, never
what the conversation says (a search records which filters were used, not
what was searched for), so the trail can outlive an erasure. Only admins read
it, filtered by agent, action and conversation.
"""

import time
from typing import Any

from sqlalchemy import and_, func, insert, select
from sqlalchemy.engine import Engine

from services.console.schema import audit, users

ACTIONS = (
    "sign_in",
    "sign_in_failed",
    "sign_in_refused",
    "view",
    "search",
    "view_corrections",
    "note",
    "tags",
    "review_mark",
    "correct_intent",
    "reply",
    "take_over",
    "hand_back",
    "export_story",
    "export_nlu",
    "erase",
    "purge",
    "create_user",
    "export_csv",
    "disable_user",
    "enable_user",
    "change_role",
    "reset_password",
    "canned_reply",
)
READ_EVERY = 300.0  # a transcript the page re-reads while a person holds it is one read per 5 min
UNKNOWN_NAME = "(unknown name)"


def record(
    engine: Engine,
    actor: str,
    action: str,
    conversation_id: str | None = None,
    detail: str = "",
    unless_within: float = 0.0,
) -> None:
    """Appends one entry; with `unless_within`, not when the same one is that many seconds old."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    now = time.time()
    with engine.begin() as connection:
        if (
            unless_within
            and connection.execute(
                select(func.count())
                .select_from(audit)
                .where(
                    and_(
                        audit.c.actor == actor,
                        audit.c.action == action,
                        audit.c.conversation_id == conversation_id,
                        audit.c.at > now - unless_within,
                    )
                )
            ).scalar()
        ):
            return
        connection.execute(
            insert(audit).values(
                at=now, actor=actor, action=action, conversation_id=conversation_id, detail=detail[:255]
            )
        )


def attempted_name(engine: Engine, name: str) -> str:
    """The name a failed sign-in gave, when it is an account's; otherwise a placeholder, so a
    password typed into the name field never reaches the trail."""
    with engine.connect() as connection:
        known = connection.execute(select(users.c.username).where(users.c.username == name)).first()
    return name if known else UNKNOWN_NAME


def entries(
    engine: Engine,
    limit: int,
    before: int | None = None,
    actor: str = "",
    action: str = "",
    conversation_id: str = "",
) -> list[dict[str, Any]]:
    """The newest entries first, optionally filtered, continuing below id `before`."""
    conditions = []
    if before:
        conditions.append(audit.c.id < before)
    if actor:
        conditions.append(audit.c.actor == actor)
    if action:
        conditions.append(audit.c.action == action)
    if conversation_id:
        conditions.append(audit.c.conversation_id == conversation_id)
    query = select(audit).where(*conditions).order_by(audit.c.id.desc()).limit(limit)
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]

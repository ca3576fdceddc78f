"""The audit trail: who viewed, exported, took over, handed back or erased which conversation.

Entries name the actor, the action and the conversation id, never what the
conversation says, so the trail can outlive an erasure. Only admins read it.
"""

import time
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from services.console.schema import audit

ACTIONS = (
    "sign_in",
    "view",
    "export_story",
    "export_nlu",
    "take_over",
    "hand_back",
    "erase",
    "purge",
    # issue 14: the list's CSV export, user management, canned replies
    "export_csv",
    "create_user",
    "disable_user",
    "enable_user",
    "change_role",
    "reset_password",
    "canned_reply",
)


def record(
    engine: Engine, actor: str, action: str, conversation_id: str | None = None, detail: str = ""
) -> None:
    """Appends one entry."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    with engine.begin() as connection:
        connection.execute(
            insert(audit).values(
                at=time.time(),
                actor=actor,
                action=action,
                conversation_id=conversation_id,
                detail=detail[:255],
            )
        )


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

"""Canned replies: texts per language that admins write once and agents insert into the composer.

An inserted reply is only a starting point: it lands in the composer, where the agent edits it
before sending, so it is never sent on its own and carries no placeholders to fill.
"""

import time
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine

from services.console.schema import canned_replies

LANGUAGES = ("en", "ru", "fr")
MAX_TITLE = 80
MAX_TEXT = 2000


class CannedReplyError(ValueError):
    """A canned reply cannot be saved as given; the message is shown to the admin."""


def replies(engine: Engine, language: str = "") -> list[dict[str, Any]]:
    """Every canned reply (of one language when given), by language and title."""
    query = select(canned_replies).order_by(canned_replies.c.language, canned_replies.c.title)
    if language:
        query = query.where(canned_replies.c.language == language)
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]


def save(engine: Engine, reply_id: str, language: str, title: str, text: str, author: str) -> None:
    """Adds a reply, or changes the one with `reply_id`."""
    title, text = title.strip(), text.strip()
    if language not in LANGUAGES:
        raise CannedReplyError(f"the language is one of {', '.join(LANGUAGES)}")
    if not title or len(title) > MAX_TITLE:
        raise CannedReplyError(f"a title has 1-{MAX_TITLE} characters")
    if not text or len(text) > MAX_TEXT:
        raise CannedReplyError(f"a reply has 1-{MAX_TEXT} characters")
    values = {
        "language": language,
        "title": title,
        "text": text,
        "updated_by": author,
        "updated_at": time.time(),
    }
    with engine.begin() as connection:
        if reply_id.isdigit():
            changed = connection.execute(
                update(canned_replies).where(canned_replies.c.id == int(reply_id)).values(**values)
            )
            if changed.rowcount != 1:
                raise CannedReplyError("that canned reply no longer exists")
        else:
            connection.execute(insert(canned_replies).values(**values))


def remove(engine: Engine, reply_id: str) -> None:
    """Deletes one canned reply."""
    if reply_id.isdigit():
        with engine.begin() as connection:
            connection.execute(delete(canned_replies).where(canned_replies.c.id == int(reply_id)))

"""Replacing a method of Rasa's, loudly: a Rasa upgrade that renames or drops the method must stop
the server at start, not leave our change silently unapplied (the in-memory fallback or the slow
schema check would come back without a word)."""

from typing import Any


def require_method(owner: type, name: str) -> None:
    """Fails unless `owner` (or a base) still defines the method `name` (one we replace, wrap or
    call beyond Rasa's documented API)."""
    if not callable(getattr(owner, name, None)):
        raise RuntimeError(
            f"{owner.__module__}.{owner.__qualname__}.{name} is gone: bot.runtime or bot.dialogue "
            "changes or calls it, so this Rasa version needs them updated before it can serve"
        )


def replace_method(owner: type, name: str, replacement: Any) -> None:
    """Sets `owner.name` to `replacement` after checking that Rasa still has that method."""
    require_method(owner, name)
    setattr(owner, name, replacement)

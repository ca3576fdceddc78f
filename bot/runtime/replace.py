"""Replacing a method of Rasa's, loudly: a Rasa upgrade that renames or drops the method must stop
the server at start, not leave our change silently unapplied (the in-memory fallback or the slow
schema check would come back without a word)."""

from typing import Any


def require_method(owner: Any, name: str) -> None:
    """Fails unless `owner` (a class, or a module for a function) still defines `name` (one we
    replace, wrap or call beyond Rasa's documented API)."""
    if not callable(getattr(owner, name, None)):
        where = f"{owner.__module__}.{owner.__qualname__}" if isinstance(owner, type) else owner.__name__
        raise RuntimeError(
            f"{where}.{name} is gone: bot.runtime or bot.dialogue changes or calls it, so this "
            "Rasa version needs them updated before it can serve"
        )


def replace_method(owner: Any, name: str, replacement: Any) -> None:
    """Sets `owner.name` to `replacement` after checking that Rasa still has that method."""
    require_method(owner, name)
    setattr(owner, name, replacement)


def wrap_method(owner: Any, name: str, wrap: Any) -> None:
    """Sets `owner.name` to `wrap(owner.name)` after checking that Rasa still has that method;
    once per process: a second call finds it already wrapped by `wrap` and leaves it."""
    require_method(owner, name)
    current = getattr(owner, name)
    if getattr(current, "_wrapped_by", None) is wrap:
        return
    wrapped = wrap(current)
    wrapped._wrapped_by = wrap
    setattr(owner, name, wrapped)

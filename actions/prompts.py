"""The forms' prompts in the customer's language.

Responses that a rule or story uses live in domain.yml; the few things only
the form actions say live in prompts.yml beside this module, in the same
three languages, and are picked here by the `language` slot.
"""

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk.executor import CollectingDispatcher

from bot.languages import DEFAULT_LANGUAGE

CATALOG = Path(__file__).with_name("prompts.yml")
# Messenger shows quick replies of at most 20 characters; a longer title is no button at all.
MAX_BUTTON_TITLE = 20


@lru_cache(maxsize=1)
def catalog() -> dict[str, dict[str, dict[str, Any]]]:
    """Every prompt by name, then language."""
    return yaml.safe_load(CATALOG.read_text(encoding="utf-8"))


def button_title(button: dict[str, Any], values: dict[str, Any]) -> str:
    """The button's title filled in, or its fixed `fallback` when that would be too long."""
    title = button["title"].format(**values)
    if len(title) > MAX_BUTTON_TITLE:
        return button["fallback"]
    return title


def render(name: str, language: str | None, **values: Any) -> dict[str, Any]:
    """Prompt `name` in `language` (English when unknown): text and buttons, placeholders filled."""
    variants = catalog()[name]
    variant = variants.get(language or DEFAULT_LANGUAGE) or variants[DEFAULT_LANGUAGE]
    buttons: list[dict[str, Any]] = [
        {"title": button_title(b, values), "payload": b["payload"]} for b in variant.get("buttons", [])
    ]
    return {"text": variant["text"].format(**values), "buttons": buttons}


def say(
    dispatcher: CollectingDispatcher,
    name: str,
    language: str | None,
    **values: Any,
) -> None:
    """Sends prompt `name` in `language`, placeholders filled."""
    prompt = render(name, language, **values)
    dispatcher.utter_message(text=prompt["text"], buttons=prompt["buttons"])

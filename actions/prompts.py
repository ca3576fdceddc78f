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


@lru_cache(maxsize=1)
def catalog() -> dict[str, dict[str, dict[str, Any]]]:
    """Every prompt by name, then language."""
    return yaml.safe_load(CATALOG.read_text(encoding="utf-8"))


def say(
    dispatcher: CollectingDispatcher,
    name: str,
    language: str | None,
    **values: Any,
) -> None:
    """Sends prompt `name` in `language` (English when unknown), placeholders filled."""
    variants = catalog()[name]
    variant = variants.get(language or DEFAULT_LANGUAGE) or variants[DEFAULT_LANGUAGE]
    dispatcher.utter_message(text=variant["text"].format(**values), buttons=variant.get("buttons", []))

"""Entities our NLU components add to a parsed message, their common base, and the `days` extractor.

Our components (language, credential cue, the error's days, the waiting customer's choice) say
something about the message; the span they give is where their evidence sits. Slots and rules
use these entities through ordinary `from_entity` mappings and entity conditions, which keeps the
dialogue in Rasa's own terms.
"""

import re
from typing import Any, Dict, List, Optional, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message


def add_message_entity(
    extractor: EntityExtractorMixin,
    message: Message,
    entity: str,
    value: str,
    start: int,
    end: int,
) -> None:
    """Appends `entity` = `value` at `start`:`end`, named after `extractor`."""
    found = {
        "entity": entity,
        "value": value,
        "start": start,
        "end": end,
        "confidence": 1.0,
    }
    message.set(
        ENTITIES,
        message.get(ENTITIES, []) + extractor.add_extractor_name([found]),
        add_to_output=True,
    )


class TextEntityExtractor(GraphComponent, EntityExtractorMixin):
    """A stateless extractor that adds at most one entity from each typed message's text.

    Subclasses name the `entity` and say where it is (`find`); buttons ("/intent{...}") carry
    their entities already and are left alone. Not registered itself: each subclass registers
    with DefaultV1Recipe as an entity extractor.
    """

    entity = ""

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "TextEntityExtractor":
        """Stateless: nothing to load."""
        return cls()

    def find(self, text: str) -> Optional[Tuple[str, int, int]]:
        """The entity's value and span in `text`, or None."""
        raise NotImplementedError

    def process(self, messages: List[Message]) -> List[Message]:
        """Adds the entity to each typed message where `find` sees it."""
        for message in messages:
            text = message.get(TEXT) or ""
            if text.startswith("/"):
                continue
            found = self.find(text)
            if found:
                add_message_entity(self, message, self.entity, *found)
        return messages


# ---- the number of days of the "email was deleted, wait n days" error ----------------------
# A number of days is only the error's n when the message speaks of the error's waiting period
# (wait, at least, for n days, can't be reused; ждать, подождите, как минимум, нельзя; attendre,
# patienter, au moins, pendant, réutilisée) and the number is not a date in the past ("5 days
# ago", «5 дней назад», « il y a 5 jours »): "I deleted my account 5 days ago" quotes no error.
# Every pattern is linear in the message's length (anchored alternatives, bounded gaps).
_DAYS = re.compile(
    r"(?<![\d.,])(\d{1,4})\s?-?\s?(?:days?\b|d\b|jours?\b|j\b|дн\w*|день|сут\w*)",
    re.IGNORECASE,
)
_PAST_AFTER = re.compile(r"\s*(?:ago\b|back\b|earlier\b|назад|тому\b)", re.IGNORECASE)
_PAST_BEFORE = re.compile(r"(?:il\s+y\s+a|voil[àa]|depuis|since)\s*$", re.IGNORECASE)
_ERROR_WORDING = re.compile(
    r"wait|at\s+least|for\s+\d|can'?t\s+be\s+(?:re)?used|cannot\s+be\s+(?:re)?used|reus|"
    r"ждат|жду\b|подожд|как\s+минимум|не\s+менее|минимум|в\s+течение|нельзя|"
    r"attend|patient|au\s+moins|pendant|r[ée]utilis|minimum",
    re.IGNORECASE,
)
# Enough text before a number to see "il y a" or "since"; the error's cue may be anywhere.
_LOOK_BEHIND_CHARACTERS = 12
MAX_DAYS_TEXT_CHARACTERS = 2000


def error_days(text: str) -> Optional[Tuple[str, int, int]]:
    """The error's number of days quoted in `text`, with its span, or None."""
    text = text[:MAX_DAYS_TEXT_CHARACTERS]
    if not _ERROR_WORDING.search(text):
        return None
    for match in _DAYS.finditer(text):
        if _PAST_AFTER.match(text, match.end()):
            continue
        if _PAST_BEFORE.search(text[max(0, match.start() - _LOOK_BEHIND_CHARACTERS) : match.start()]):
            continue
        return match.group(1), match.start(1), match.end(1)
    return None


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class ErrorDaysExtractor(TextEntityExtractor):
    """Adds `days` = n when the customer quotes the deleted-address error's n days."""

    entity = "days"

    def find(self, text: str) -> Optional[Tuple[str, int, int]]:
        """The error's number of days and where it is quoted."""
        return error_days(text)

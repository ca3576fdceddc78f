"""Which language the customer writes in, kept steady over a conversation.

One model serves English, Russian and French, and every response is chosen
by the `language` slot. The slot is filled from a `language` entity that this
NLU component adds, so that the choice is made once, in the NLU pipeline,
where the text is, and the dialogue policies never see it (the domain keeps
the entity out of their features).

The decision is sticky: a customer who writes "ok", "yes", "123" or just an
email address keeps the conversation's language; a clear sentence in another
language switches it. The component reads the current slot from the tracker
that Rasa 3.6 hands to NLU components at inference. On the first message,
when there is nothing to stick to, a weak guess is still better than none,
and the platform's locale (metadata `locale`, from the connectors) breaks the
tie for messages that carry no language at all.
"""

import re
from typing import Any, Dict, List, Optional, Tuple

from lingua import Language, LanguageDetector, LanguageDetectorBuilder
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.languages import LANGUAGES
from bot.nlu.entities import add_message_entity

FALLBACK_INTENT = "nlu_fallback"
# What it takes for a message the assistant did not understand to switch language.
UNSURE_MIN_WORDS = 5
UNSURE_MIN_CONFIDENCE = 0.9
SLOT = "language"
ENTITY = "language"

# How many words of a message the detector reads.
DETECTED_WORDS = 200
_LINGUA = {Language.ENGLISH: "en", Language.RUSSIAN: "ru", Language.FRENCH: "fr"}
# What carries no language: addresses, links, numbers, redaction markers.
# Each alternative starts where a word does or is bounded, so one long word costs linear time
# (an unanchored `\S+@\S+` rescanned a 100 KB word from each of its characters: minutes).
_NOISE = re.compile(r"(?<!\S)\S+@\S+|https?://\S+|www\.\S+|\[redacted:[^\]]{0,64}\]|[\d_]+", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_LATIN = re.compile(r"[A-Za-z\u00C0-\u024F]")


def evidence_span(text: str) -> Tuple[int, int]:
    """Where the `language` entity sits: the first word that carries language.

    Any span would do for filling the slot; the first real word keeps the
    entity clear of the email and day-count entities, so that test stories
    can annotate all of them.
    """
    cleaned = _NOISE.sub(lambda m: " " * len(m.group(0)), text)
    match = _WORD.search(cleaned)
    return match.span() if match else (0, len(text))


def locale_language(locale: Optional[str]) -> Optional[str]:
    """`ru` for a platform locale such as "ru", "ru-RU" or "ru_RU"; None if unsupported."""
    if not locale:
        return None
    code = re.split(r"[-_]", str(locale).strip().lower(), maxsplit=1)[0]
    return code if code in LANGUAGES else None


class LanguageGuesser:
    """The decision itself, apart from Rasa, so that it can be tested and reused."""

    def __init__(self, min_words: int = 3, min_confidence: float = 0.55) -> None:
        self.min_words = min_words
        self.min_confidence = min_confidence
        self._detector: LanguageDetector = (
            LanguageDetectorBuilder.from_languages(*_LINGUA).with_preloaded_language_models().build()
        )

    def best_guess(self, text: str) -> Optional[Dict[str, Any]]:
        """The most likely language of `text` with its confidence and word count."""
        cleaned = _NOISE.sub(" ", text)
        words = _WORD.findall(cleaned)
        if not words:
            return None
        cyrillic = len(_CYRILLIC.findall(cleaned))
        latin = len(_LATIN.findall(cleaned))
        if cyrillic > latin:
            # Of the three languages only Russian is written in Cyrillic.
            return {"language": "ru", "confidence": 1.0, "words": len(words)}
        # The first words tell the language of a long message as well as all of them, at a
        # fraction of the cost (a 10,000-character message has about 1,700).
        values = self._detector.compute_language_confidence_values(" ".join(words[:DETECTED_WORDS]))
        top = values[0]
        return {
            "language": _LINGUA[top.language],
            "confidence": top.value,
            "words": len(words),
        }

    def decide(
        self,
        text: str,
        current: Optional[str],
        locale: Optional[str] = None,
        understood: bool = True,
    ) -> Optional[str]:
        """The conversation's language after `text`, or None to keep `current`.

        Button payloads ("/affirm") are not words a customer typed and keep
        the language as it is. A message the assistant did not understand
        (`understood` False) needs a longer, surer sentence to switch it:
        lingua is confidently wrong on short gibberish ("qwop zing vlarp"
        reads as English at 0.94), while "can we continue in English please?"
        must still switch.
        """
        if text.startswith("/"):
            return None if current else locale_language(locale)
        guess = self.best_guess(text)
        if guess is None:
            return None if current else locale_language(locale)
        min_words, min_confidence = (
            (self.min_words, self.min_confidence) if understood else (UNSURE_MIN_WORDS, UNSURE_MIN_CONFIDENCE)
        )
        clear = guess["words"] >= min_words and guess["confidence"] >= min_confidence
        if clear:
            return guess["language"]
        if current:
            return None
        return locale_language(locale) or guess["language"]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class LanguageIdentifier(GraphComponent, EntityExtractorMixin):
    """Adds a `language` entity when the conversation's language is decided or changes."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """`min_words` and `min_confidence` define a clear sentence that may switch language."""
        return {"min_words": 3, "min_confidence": 0.55}

    def __init__(self, config: Dict[str, Any]) -> None:
        self._guesser = LanguageGuesser(config["min_words"], config["min_confidence"])

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LanguageIdentifier":
        """Builds the component once per loaded model (lingua's models load here)."""
        return cls(config)

    def process(
        self,
        messages: List[Message],
        tracker: Optional[DialogueStateTracker] = None,
    ) -> List[Message]:
        """Adds the entity; leaves it out when the language stays as it is."""
        current = tracker.get_slot(SLOT) if tracker is not None else None
        for message in messages:
            text = message.get(TEXT) or ""
            metadata = message.get("metadata") or {}
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            decided = self._guesser.decide(
                text, current, metadata.get("locale"), understood=intent != FALLBACK_INTENT
            )
            if decided is None or decided == current:
                continue
            start, end = evidence_span(text)
            add_message_entity(self, message, ENTITY, decided, start, end)
        return messages

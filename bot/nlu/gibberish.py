"""Keyboard mash and repeated letters are not understood, whatever the classifier says.

The intent classifier gives every text some intent, and on nonsense ("xxxxxxxxxx…", "aaaa…",
"sdkjfh qwpoeiru") that intent can be confident: the character n-grams of a nonsense word match
nothing, so the few that do decide. Answered as a real request, such a message sends a customer
down a wrong row of the article, and the language identifier, trusting an understood message,
switched the conversation to whichever language lingua guessed (French, most often).

Real messages in the three languages, typos, SMS style and transliterated Russian included,
are made of letter triples that the training messages contain; nonsense is mostly made of
triples they never contain ("xxx", "aaa", "kjf", "hsk"). This component remembers the training
messages' triples and turns a message most of whose triples are unknown into `nlu_fallback`,
which the dialogue answers with a request to rephrase and which does not switch language.

Button payloads and messages carrying a shared credential (whose warning rule needs the
classifier's intent; a password looks like nonsense) are left alone, and only the first
`MAX_GUESS_CHARACTERS` characters are read, so the work per message is bounded.
"""

import logging
from typing import Any, Dict, Iterable, List, Optional, Set

import rasa.shared.utils.io
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.credential_cue import ENTITY as CREDENTIAL_ENTITY
from bot.nlu.language import FALLBACK_INTENT, language_words

logger = logging.getLogger(__name__)

_FILE = "trigrams.json"


def trigrams(words: Iterable[str]) -> List[str]:
    """The letter triples of `words`, each word padded with `_` so its edges count too."""
    found: List[str] = []
    for word in words:
        padded = f"_{word.lower()}_"
        found.extend(padded[i : i + 3] for i in range(len(padded) - 2))
    return found


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class GibberishGuard(GraphComponent):
    """Replaces the intent of a message made mostly of unknown letter triples by `nlu_fallback`."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """`min_trigrams`: shorter texts ("ok", "lol") are left to the classifier.

        `max_unknown_share`: above this share of triples never seen in training, the text is
        nonsense. Measured against the training data of issue 12: the held-out messages reach
        0.16 at most, keyboard mash and repeated letters 0.54 and more. A lone rare word (a
        surname typed alone) can pass the line too and is then asked to be rephrased.
        """
        return {"min_trigrams": 5, "max_unknown_share": 0.5}

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        known: Optional[Set[str]] = None,
    ) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._known: Set[str] = known or set()

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "GibberishGuard":
        """An untrained guard, which knows no triple yet."""
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Remembers every letter triple of the training messages."""
        known: Set[str] = set()
        for example in training_data.intent_examples:
            known.update(trigrams(language_words(example.get(TEXT) or "")))
        self._known = known
        with self._model_storage.write_to(self._resource) as directory:
            rasa.shared.utils.io.dump_obj_as_json_to_file(directory / _FILE, sorted(known))
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "GibberishGuard":
        """The guard with the triples its training stored."""
        with model_storage.read_from(resource) as directory:
            known = set(rasa.shared.utils.io.read_json_file(directory / _FILE))
        return cls(config, model_storage, resource, known)

    def unknown_share(self, text: str) -> Optional[float]:
        """The share of `text`'s letter triples never seen in training; None if too short to tell."""
        found = trigrams(language_words(text))
        if len(found) < self._config["min_trigrams"]:
            return None
        return sum(1 for triple in found if triple not in self._known) / len(found)

    def is_gibberish(self, message: Message) -> bool:
        """True for typed nonsense; never for a button payload or a shared credential."""
        text = message.get(TEXT) or ""
        if text.startswith("/"):
            return False
        if any(entity.get("entity") == CREDENTIAL_ENTITY for entity in message.get(ENTITIES) or []):
            return False
        share = self.unknown_share(text)
        return share is not None and share > self._config["max_unknown_share"]

    def process(self, messages: List[Message]) -> List[Message]:
        """Sets `nlu_fallback` first in the intent and its ranking, as FallbackClassifier does."""
        for message in messages:
            if not self.is_gibberish(message):
                continue
            if (message.get(INTENT) or {}).get(INTENT_NAME_KEY) == FALLBACK_INTENT:
                continue
            fallback = {INTENT_NAME_KEY: FALLBACK_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0}
            message.data[INTENT] = fallback
            message.data.setdefault(INTENT_RANKING_KEY, [])
            message.data[INTENT_RANKING_KEY].insert(0, dict(fallback))
        return messages

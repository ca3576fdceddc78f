"""What a customer waiting for a person chose instead: the assistant after all, or email.

While a customer waits for a person (`person_request` = `waiting`, see bot.person_request),
the classifier's intent is not what the assistant acts on (bot.dialogue.holding acknowledges
every message), and the intents are a fixed contract, so "I no longer need a person" has no
intent of its own. This component adds a `person_choice` entity (`assistant` or `email`) to
such a message, from short phrases in English, Russian and French; the buttons of the
wait-over message carry the same entity. Outside a wait it adds nothing, so it cannot change
how any other message is understood.
"""

import re
from typing import List, Optional, Tuple

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.entities import TextEntityExtractor
from bot.person_request import CHOICE_ENTITY, CHOOSE_ASSISTANT, CHOOSE_EMAIL, SLOT, WAITING

MAX_CHARACTERS = 500
_PERSON = r"(?:person|human|agent|anyone|someone|somebody|operator)"
CHOICES = (
    (
        CHOOSE_EMAIL,
        re.compile(
            r"\b(?:by|via|per|over) e-?mail\b|\be-?mail me\b|\bsend (?:it|the answer|me)\b.*\be-?mail"
            r"|по (?:электронной )?почте|на (?:мою )?почту|по e-?mail|на e-?mail|письмом"
            r"|par (?:e-?)?mail|par courriel|sur (?:mon|ma) (?:adresse|mail|boîte)",
            re.IGNORECASE,
        ),
    ),
    (
        CHOOSE_ASSISTANT,
        re.compile(
            rf"\b(?:no longer|don'?t|do not|no) need (?:a |an |the |to talk to (?:a |an )?)?{_PERSON}"
            r"|\bnever ?mind\b|\bnot needed\b|\bcancel (?:the|my) request\b|\bcontinue (?:with|here)\b"
            r"|\b(?:i|i'?ve) (?:solved|fixed|sorted) it\b"
            r"|больше не нуж|уже не нуж|не нуж(?:ен|но|на) (?:сотрудник|человек|оператор)"
            r"|отмен(?:ите|яю|ить) (?:запрос|вызов)"
            r"|продолж(?:у|им|ить) (?:с вами|здесь|с ботом|с помощником)|сам(?:а)? разобрал|уже разобрал"
            r"|plus besoin|pas besoin d'(?:une personne|un agent|un conseiller|aide)|laissez tomber"
            r"|annule[rz]? (?:la|ma) demande|continuer (?:avec vous|ici|avec l'assistant)"
            r"|j'ai trouvé|c'est réglé",
            re.IGNORECASE,
        ),
    ),
)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class PersonChoice(TextEntityExtractor):
    """Adds `person_choice` to a waiting customer's message that withdraws or redirects the request."""

    entity = CHOICE_ENTITY

    def find(self, text: str) -> Optional[Tuple[str, int, int]]:
        """The first choice the message's opening words express."""
        text = text[:MAX_CHARACTERS]
        for value, pattern in CHOICES:
            found = pattern.search(text)
            if found:
                return value, found.start(), found.end()
        return None

    def process(
        self, messages: List[Message], tracker: Optional[DialogueStateTracker] = None
    ) -> List[Message]:
        """Adds the entity only while the conversation's customer waits for a person (Rasa
        passes the tracker because this signature asks for it)."""
        if tracker is None or tracker.get_slot(SLOT) != WAITING:
            return messages
        return super().process(messages)

"""Marks a message that contains a password or token.

The assistant never asks for a password, and when a customer shares one
anyway it must tell them not to. This component adds a `credential` entity
to such a message (the value is never the secret itself), and a rule answers
it with the warning. The text was normally redacted already by the input
channel; the marker it leaves counts as a shared credential here too.
"""

from typing import Any, Dict, List, Optional, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.entities import add_message_entity
from bot.redaction import REDACTION_MARKER, find_credentials

ENTITY = "credential"


def credential_span(text: str) -> Optional[Tuple[int, int]]:
    """Where the first secret, or the marker of a redacted one, sits in `text`."""
    marker = text.find(REDACTION_MARKER)
    if marker >= 0:
        return marker, marker + len(REDACTION_MARKER)
    spans = find_credentials(text)
    return spans[0] if spans else None


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class CredentialCue(GraphComponent, EntityExtractorMixin):
    """Adds `credential` = `shared` to messages holding a secret or its redaction marker."""

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "CredentialCue":
        """Stateless: nothing to load."""
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        """Flags each message that holds a credential."""
        for message in messages:
            text = message.get(TEXT) or ""
            if text.startswith("/"):
                continue
            span = credential_span(text)
            if span:
                add_message_entity(self, message, ENTITY, "shared", *span)
        return messages

"""Adding an entity to a parsed message, shared by our NLU components.

Our components (language, credential cue) say something about the message
as a whole; the span they give is where their evidence sits. Slots and rules
use these entities through ordinary `from_entity` mappings and entity
conditions, which keeps the dialogue in Rasa's own terms.
"""

from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES
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

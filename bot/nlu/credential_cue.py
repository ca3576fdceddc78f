"""Marks a message that contains a password or token.

The assistant never asks for a password, and when a customer shares one
anyway it must tell them not to. This component adds a `credential` entity
to such a message (the value is never the secret itself), and a rule answers
it with the warning. The text was normally redacted already by the input
channel; the marker it leaves counts as a shared credential here too.
"""

from typing import Optional, Tuple

from rasa.engine.recipes.default_recipe import DefaultV1Recipe

from bot.nlu.entities import TextEntityExtractor
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
class CredentialCue(TextEntityExtractor):
    """Adds `credential` = `shared` to messages holding a secret or its redaction marker."""

    entity = ENTITY

    def find(self, text: str) -> Optional[Tuple[str, int, int]]:
        """`shared` where the first secret (or its marker) sits; never the secret itself."""
        span = credential_span(text)
        return ("shared", *span) if span else None

"""The waiting customer's choice: "no longer needed" or "by email", in three languages, only while waiting."""

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.person_choice import PersonChoice
from bot.person_request import SLOT, WAITING

DOMAIN = Domain.from_dict({"slots": {SLOT: {"type": "any", "mappings": [{"type": "custom"}]}}})


def _choice(text: str, state: str | None = WAITING) -> str | None:
    tracker = DialogueStateTracker.from_events("c", [SlotSet(SLOT, state)], slots=DOMAIN.slots)
    [message] = PersonChoice().process([Message(data={"text": text})], tracker)
    found = [e["value"] for e in message.get("entities", []) if e["entity"] == "person_choice"]
    return found[0] if found else None


@pytest.mark.parametrize(
    "text, choice",
    [
        ("never mind, I don't need a person anymore", "assistant"),
        ("I no longer need an agent", "assistant"),
        ("ок, уже не нужно, сам разобрался", "assistant"),
        ("человек больше не нужен", "assistant"),
        ("c'est bon, plus besoin", "assistant"),
        ("laissez tomber, j'ai trouvé", "assistant"),
        ("can you answer by email instead?", "email"),
        ("лучше ответьте по почте", "email"),
        ("répondez-moi par mail s'il vous plaît", "email"),
        ("my license disappeared after I deleted my old email", None),
        ("я удалил старую почту и пропала лицензия", None),
        ("j'ai supprimé mon ancienne adresse", None),
    ],
)
def test_a_waiting_customers_choice_is_read_in_three_languages(text: str, choice: str | None) -> None:
    assert _choice(text) == choice


@pytest.mark.parametrize("state", [None, "withdrawn", "by_email"])
def test_nothing_is_added_outside_a_wait(state: str | None) -> None:
    assert _choice("never mind, I don't need a person anymore", state) is None

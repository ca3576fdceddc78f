"""The gibberish guard: trained on real training messages, stored and loaded like any component."""

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.gibberish import GibberishGuard
from bot.nlu.language import LanguageIdentifier

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def guard(tmp_path_factory: pytest.TempPathFactory) -> GibberishGuard:
    """A guard trained on the project's NLU data, then loaded back from its model storage."""
    storage = LocalModelStorage(tmp_path_factory.mktemp("storage"))
    resource = Resource("gibberish_guard")
    context = ExecutionContext(GraphSchema({}), "test")
    config = GibberishGuard.get_default_config()
    trained = GibberishGuard.create(config, storage, resource, context)
    trained.train(load_data(str(ROOT / "data" / "nlu")))
    return GibberishGuard.load(config, storage, resource, context)


def _parsed(text: str, intent: str = "forgot_password", entities: list | None = None) -> Message:
    """A message as the classifiers left it: confident about some intent."""
    return Message(
        data={
            "text": text,
            "metadata": {},
            "intent": {"name": intent, "confidence": 0.97},
            "intent_ranking": [{"name": intent, "confidence": 0.97}],
            "entities": entities or [],
        }
    )


@pytest.mark.parametrize(
    "text",
    [
        "x" * 50,
        "a" * 500,
        "asdfghjkl",
        "sdkjfh qwpoeiru zmxncb",
        "йцукенгшщз",
        "lkjsdf lkjsdf lksdjf",
        "ыыыыыыыыы",
    ],
)
def test_nonsense_becomes_nlu_fallback(guard: GibberishGuard, text: str) -> None:
    message = _parsed(text)
    guard.process([message])
    assert message.get("intent")["name"] == "nlu_fallback"
    assert message.get("intent_ranking")[0]["name"] == "nlu_fallback"


@pytest.mark.parametrize(
    "text",
    [
        "cant login pls help forgot pw",
        "zabyl parol ot akkaunta, chto delat",
        "slt jarrive pas a me co",
        "блин, пароль вылетел из головы",
        "nooooo still nothing",
        "ok",
        "my email is ivan.petrov@gmail.com",
        "/affirm",
        "this is Agnieszka Kowalczyk, I forgot my password",
    ],
)
def test_real_messages_keep_their_intent(guard: GibberishGuard, text: str) -> None:
    message = _parsed(text)
    guard.process([message])
    assert message.get("intent")["name"] == "forgot_password"


def test_a_shared_credential_keeps_its_intent_for_the_warning(guard: GibberishGuard) -> None:
    credential = {"entity": "credential", "value": "shared", "start": 0, "end": 12}
    message = _parsed("Xq7$kd9!pLz2Wm", entities=[credential])
    guard.process([message])
    assert message.get("intent")["name"] == "forgot_password"


def test_nonsense_does_not_switch_the_conversations_language(guard: GibberishGuard) -> None:
    english = DialogueStateTracker.from_events("g", [SlotSet("language", "en")])
    identifier = LanguageIdentifier(LanguageIdentifier.get_default_config())
    for text in ["x" * 50, "a" * 500, "sdkjfh qwpoeiru zmxncb lkjsdf pqowie"]:
        message = _parsed(text)
        identifier.process(guard.process([message]), english)
        assert [e for e in message.get("entities") if e["entity"] == "language"] == []

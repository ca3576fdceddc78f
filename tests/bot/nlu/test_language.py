"""The language component: real lingua detection, sticky over short or ambiguous messages."""

import time
from pathlib import Path

import pytest
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.message import Message

from bot.languages import LANGUAGES
from bot.nlu.language import (
    LanguageGuesser,
    LanguageIdentifier,
    evidence_span,
    learn_translit_lexicon,
    locale_language,
)


@pytest.fixture(scope="module")
def guesser() -> LanguageGuesser:
    return LanguageGuesser()


@pytest.mark.parametrize(
    "text, language",
    [
        ("I forgot my password and cannot sign in", "en"),
        ("я не помню пароль от аккаунта", "ru"),
        ("je ne reçois pas le mail de confirmation", "fr"),
        ("je ne recois pas le mail de confirmation", "fr"),
        ("registration says this email is already in use", "en"),
        ("почта на gmail, аккаунт parallels не пускает", "ru"),
        ("mon mot de passe est refusé sur my.parallels.com", "fr"),
    ],
)
def test_clear_sentences_are_recognised_from_scratch(
    guesser: LanguageGuesser, text: str, language: str
) -> None:
    assert guesser.decide(text, current=None) == language


@pytest.mark.parametrize("current", LANGUAGES)
@pytest.mark.parametrize(
    "text", ["ok", "yes", "oui", "да", "123", "anna.k@gmail.com", "merci", "/affirm", "👍"]
)
def test_short_or_ambiguous_messages_keep_the_language(
    guesser: LanguageGuesser, text: str, current: str
) -> None:
    assert guesser.decide(text, current=current) is None


@pytest.mark.parametrize(
    "text, current, switched",
    [
        ("actually I would rather write in English", "ru", "en"),
        ("en fait je préfère écrire en français", "en", "fr"),
        ("давайте лучше по-русски пообщаемся", "fr", "ru"),
    ],
)
def test_a_clear_sentence_in_another_language_switches(
    guesser: LanguageGuesser, text: str, current: str, switched: str
) -> None:
    assert guesser.decide(text, current=current) == switched


def test_first_message_without_language_follows_the_platform_locale(guesser: LanguageGuesser) -> None:
    assert guesser.decide("anna@gmail.com", current=None, locale="fr_FR") == "fr"
    assert guesser.decide("ok", current=None, locale="ru") == "ru"
    assert guesser.decide("ok", current="en", locale="ru") is None


@pytest.mark.parametrize(
    "locale, language",
    [("ru", "ru"), ("ru-RU", "ru"), ("fr_CA", "fr"), ("EN", "en"), ("de", None), ("", None), (None, None)],
)
def test_platform_locales(locale: str | None, language: str | None) -> None:
    assert locale_language(locale) == language


def test_evidence_span_skips_addresses_and_numbers() -> None:
    text = "anna@gmail.com 30 jours svp"
    start, end = evidence_span(text)
    assert text[start:end] == "jours"


def _component() -> LanguageIdentifier:
    return LanguageIdentifier(LanguageIdentifier.get_default_config())


def _language_entities(message: Message) -> list:
    return [e for e in message.get("entities", []) if e["entity"] == "language"]


def test_component_adds_the_entity_from_the_tracker_slot_state() -> None:
    component = _component()
    empty = DialogueStateTracker.from_events("a", [])
    message = Message(data={"text": "je ne reçois pas le mail", "metadata": {}})
    component.process([message], empty)
    assert [e["value"] for e in _language_entities(message)] == ["fr"]

    french = DialogueStateTracker.from_events("b", [SlotSet("language", "fr")])
    short = Message(data={"text": "ok", "metadata": {}})
    same = Message(data={"text": "je ne reçois pas le mail", "metadata": {}})
    component.process([short, same], french)
    assert _language_entities(short) == [] and _language_entities(same) == []

    switch = Message(data={"text": "I do not get the confirmation email", "metadata": {}})
    component.process([switch], french)
    assert [e["value"] for e in _language_entities(switch)] == ["en"]


def test_component_uses_the_channel_locale_on_a_first_ambiguous_message() -> None:
    message = Message(data={"text": "hi", "metadata": {"locale": "ru"}})
    _component().process([message], DialogueStateTracker.from_events("c", []))
    assert [e["value"] for e in _language_entities(message)] == ["ru"]


def test_a_message_not_understood_switches_only_when_long_and_clear(guesser: LanguageGuesser) -> None:
    assert guesser.decide("qwop zing vlarp", current="fr", understood=False) is None
    assert guesser.decide("sorry, can we continue in English please?", current="ru", understood=False) == "en"
    assert guesser.decide("qwop zing vlarp", current=None, understood=False) == "en"
    component = _component()
    gibberish = Message(
        data={
            "text": "blarg fnord quux",
            "metadata": {},
            "intent": {"name": "nlu_fallback", "confidence": 0.6},
        }
    )
    component.process([gibberish], DialogueStateTracker.from_events("d", [SlotSet("language", "en")]))
    assert _language_entities(gibberish) == []


def test_the_language_detector_knows_every_language_of_the_list() -> None:
    from bot.nlu.language import _LINGUA

    assert sorted(_LINGUA.values()) == sorted(LANGUAGES)


@pytest.mark.parametrize(
    "text",
    [
        "zabyl parol ot akkaunta parallels, chto delat",
        "ne prihodit pismo s podtverzhdeniem",
        "pozovite operatora pozhaluysta",
        "vsyo eshche nichego ne prishlo",
    ],
)
def test_russian_typed_in_latin_letters_is_russian_and_stays_so(guesser: LanguageGuesser, text: str) -> None:
    assert guesser.decide(text, current=None) == "ru"
    assert guesser.decide(text, current="en") == "ru"
    assert guesser.decide(text, current="ru") in (None, "ru")
    # A short message after it keeps Russian, as for Cyrillic.
    assert guesser.decide("ok", current="ru") is None


@pytest.mark.parametrize(
    "text, language",
    [
        ("I need to reset my password for my Parallels account", "en"),
        ("my ego is not the problem, the reset email is", "en"),
        ("je ne recois pas le mail de confirmation", "fr"),
        ("не могу залогиниться в My Account, пишет invalid email or password", "ru"),
        ("при sign up выдаёт email already in use", "ru"),
        ("j'ai cliqué sur Forgot password mais je n'ai rien reçu", "fr"),
    ],
)
def test_latin_words_are_not_taken_for_translit_nor_product_words_for_english(
    guesser: LanguageGuesser, text: str, language: str
) -> None:
    assert guesser.decide(text, current=None) == language


@pytest.mark.parametrize(
    "text",
    [
        "j arrive pas a me connecter",
        "le site me dit invalid email or password",
        "sur my account ca dit email already in use",
        "le mail de reset arrive pas",
    ],
)
def test_french_without_accents_or_around_product_words_is_french(
    guesser: LanguageGuesser, text: str
) -> None:
    # lingua alone reads these as English (or French below the switching confidence).
    assert guesser.decide(text, current=None) == "fr"
    assert guesser.decide(text, current="en") == "fr"


@pytest.mark.parametrize(
    "text",
    ["my son set up the account and I don't know the password", "are you an AI or a person?", "le"],
)
def test_english_with_a_french_looking_word_stays_english(guesser: LanguageGuesser, text: str) -> None:
    assert guesser.decide(text, current="en") in (None, "en")


def test_the_component_answers_translit_in_russian() -> None:
    message = Message(data={"text": "zabyl parol ot akkaunta, chto delat", "metadata": {}})
    _component().process([message], DialogueStateTracker.from_events("e", [SlotSet("language", "en")]))
    assert [e["value"] for e in _language_entities(message)] == ["ru"]


@pytest.mark.parametrize(
    "token",
    ["a" * 100_000, "@" * 100_000, "a@" * 50_000, "[redacted:" * 10_000, "1a" * 50_000, "é" * 100_000],
)
def test_a_100_kb_token_is_judged_in_one_pass(guesser: LanguageGuesser, token: str) -> None:
    # Bounded work, not a timing benchmark: a pattern retried from every character of a 100 KB
    # token (the old `\S+@\S+`) needs about 5e9 steps, minutes; one pass takes milliseconds.
    started = time.perf_counter()
    guesser.decide(token, current="en")
    evidence_span(token)
    assert time.perf_counter() - started < 2.0


def test_the_translit_lexicon_is_learned_from_the_cyrillic_training_words() -> None:
    learned = learn_translit_lexicon(
        [
            "письмо для сброса пароля не приходит",
            "сайт пишет, что адрес уже существует",
            "the site says the address already exists",
            "ne prihodit pismo dlya sbrosa",  # translit: its words are not taken for English ones
        ]
    )
    assert {"pismo", "dlya", "sbrosa", "sushchestvuet", "sushestvuet", "sayt", "prikhodit"} <= learned
    assert "site" not in learned and "uzh" not in learned and "chto" in learned
    guesser = LanguageGuesser(learned=learned)
    assert guesser.decide("sayt pishet chto adres uzhe sushchestvuet", current="en") == "ru"
    assert guesser.decide("the site says the address already exists", current="en") in (None, "en")


def test_the_component_stores_and_loads_what_it_learned(tmp_path: Path) -> None:
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.training_data import TrainingData

    storage = LocalModelStorage(tmp_path)
    resource = Resource("language_identifier")
    context = ExecutionContext(GraphSchema({}), "test")
    config = LanguageIdentifier.get_default_config()
    said = {"text": "сайт пишет, что адрес уже существует", "intent": "email_already_in_use"}
    examples = [Message(data=said)]
    LanguageIdentifier.create(config, storage, resource, context).train(TrainingData(examples))
    loaded = LanguageIdentifier.load(config, storage, resource, context)
    message = Message(data={"text": "sayt pishet chto adres sushchestvuet", "metadata": {}})
    loaded.process([message], DialogueStateTracker.from_events("f", [SlotSet("language", "en")]))
    assert [e["value"] for e in _language_entities(message)] == ["ru"]

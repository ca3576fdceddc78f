"""The `days` entity: the deleted-address error's n days, never a date in the past."""

import time

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.entities import ErrorDaysExtractor, error_days


@pytest.mark.parametrize(
    "text, days",
    [
        ("it says wait 30 days", "30"),
        ("the address can't be used for at least 7 days", "7"),
        ("the error says I have to wait at least 30 days before using this email", "30"),
        ("нужно подождать 30 дней", "30"),
        ("пишет, что адрес нельзя использовать как минимум 14 дней", "14"),
        ("il faut attendre 30 jours", "30"),
        ("ne peut pas être réutilisée pendant au moins 21 jours", "21"),
        ("I deleted my account 5 days ago and now I can't register again", None),
        ("3 days ago I removed my account, it says wait", None),
        ("удалил аккаунт 5 дней назад, а теперь не могу зарегистрироваться", None),
        ("j'ai supprimé mon compte il y a 5 jours, il faut attendre", None),
        ("I have 30 days left on my trial", None),
    ],
)
def test_only_the_errors_wording_gives_the_days(text: str, days: str | None) -> None:
    found = error_days(text)
    assert (found[0] if found else None) == days
    if found:
        assert text[found[1] : found[2]] == days


def test_the_component_adds_the_entity() -> None:
    message = Message(data={"text": "it says wait 45 days"})
    ErrorDaysExtractor().process([message])
    assert [(e["entity"], e["value"]) for e in message.get("entities")] == [("days", "45")]
    button = Message(data={"text": "/email_recently_deleted"})
    ErrorDaysExtractor().process([button])
    assert not button.get("entities")


def test_a_100_kb_message_is_read_in_one_pass() -> None:
    started = time.perf_counter()
    error_days("wait " + "1" * 100_000)
    error_days("wait " + "5 days " * 15_000)
    assert time.perf_counter() - started < 2.0

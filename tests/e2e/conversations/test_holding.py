"""Holding a customer for a person: after the hand-off the assistant acknowledges, never answers.

Before, "my license disappeared…" written after "a person will answer here" got the
deleted-address answer. The conversations run against the real assistant (the e2e conftest sets
PERSON_WAIT_SECONDS to a few seconds, so the wait-over reminder fires within the test).
"""

import pytest
from harness import Assistant
from support import wait_for

HANDED_OFF = {"en": "passed your conversation", "ru": "передал разговор", "fr": "transmis votre conversation"}
ADDED = {
    "en": "I've added your message to request",
    "ru": "Я добавил ваше сообщение к запросу",
    "fr": "J'ai ajouté votre message à la demande",
}


def texts(replies: list[dict]) -> str:
    return " ".join(r.get("text") or "" for r in replies)


def payloads(replies: list[dict]) -> list[str]:
    return [b["payload"] for r in replies for b in r.get("buttons") or []]


@pytest.mark.parametrize(
    "language, ask, later",
    [
        ("en", "I want to talk to a person", "my license disappeared after I deleted my old email"),
        ("ru", "соедините меня с сотрудником поддержки", "я удалил старую почту и пропала лицензия"),
        (
            "fr",
            "je voudrais parler à quelqu'un du support",
            "j'ai supprimé mon ancienne adresse et ma licence a disparu",
        ),
    ],
)
def test_each_message_after_the_hand_off_is_acknowledged_once_and_not_answered(
    assistant: Assistant, sender: str, language: str, ask: str, later: str
) -> None:
    assert HANDED_OFF[language] in texts(assistant.say(sender, ask))
    for message in (later, "hello?"):
        replies = assistant.say(sender, message)
        assert len(replies) == 1, replies
        assert ADDED[language] in replies[0]["text"]
        assert "#" in replies[0]["text"], "the acknowledgement names the request"
    assert assistant.tracker(sender)["slots"]["person_request"] == "waiting"


def test_the_customer_can_say_they_no_longer_need_a_person(assistant: Assistant, sender: str) -> None:
    assistant.say(sender, "I want to talk to a person")
    back = texts(assistant.say(sender, "never mind, I don't need a person anymore"))
    assert "no longer need a person" in back
    assert assistant.tracker(sender)["slots"]["person_request"] == "withdrawn"
    assert (
        "Forgot password" in texts(assistant.say(sender, "I forgot my password"))
        or "password" in texts(assistant.say(sender, "I forgot my password")).lower()
    )


def test_the_button_withdraws_the_request_in_french(assistant: Assistant, sender: str) -> None:
    assistant.say(sender, "je voudrais parler à quelqu'un du support")
    acknowledged = assistant.say(sender, "vous êtes là ?")
    [withdraw] = payloads(acknowledged)
    assert "Plus besoin" in [b["title"] for r in acknowledged for b in r.get("buttons") or []]
    assert "n'avez plus besoin d'une personne" in texts(assistant.say(sender, withdraw))


def test_nobody_in_time_offers_the_assistant_or_email_and_email_ends_the_wait(
    assistant: Assistant, sender: str
) -> None:
    handed_off = texts(assistant.say(sender, "I want to talk to a person"))
    ticket_id = handed_off.split("request #", 1)[1].split(")", 1)[0]

    def nobody_free_offer() -> dict | None:
        bots = [e for e in assistant.tracker(sender)["events"] if e["event"] == "bot"]
        return next(
            (
                e
                for e in reversed(bots)
                if "nobody from the support team is free yet" in (e.get("text") or "")
            ),
            None,
        )

    offer = wait_for(
        nobody_free_offer, timeout=40, interval=1, message="the customer to be told nobody is free"
    )
    choices = {b["title"]: b["payload"] for b in offer["data"]["buttons"]}
    assert set(choices) == {"Continue with me", "Answer by email"}
    assert "Which email address" in texts(assistant.say(sender, choices["Answer by email"]))
    done = texts(assistant.say(sender, "it's jane.doe@example.com"))
    assert "by email, at jane.doe@example.com" in done
    slots = assistant.tracker(sender)["slots"]
    assert slots["person_request"] == "by_email" and slots["email"] == "jane.doe@example.com"
    assert "I've added your message" not in texts(assistant.say(sender, "thanks"))
    # the choice reaches the ticket the account service keeps, not only the console's queue
    ticket = assistant.http.get(
        f"{assistant.accounts_url}/v1/support-tickets/{ticket_id}",
        headers={"Authorization": f"Bearer {assistant.env['ACCOUNT_API_TOKEN']}"},
    ).json()
    assert ticket["conversation_id"] == sender
    assert (ticket["answer_by"], ticket["answer_email"]) == ("email", "jane.doe@example.com")
    assert f"#{ticket_id}" in done, "the customer is told the same request"


def test_the_answer_by_email_in_russian_is_recorded_on_the_ticket(assistant: Assistant, sender: str) -> None:
    handed_off = texts(assistant.say(sender, "соедините меня с сотрудником поддержки"))
    ticket_id = handed_off.split("запрос #", 1)[1].split(")", 1)[0]
    offer = wait_for(
        lambda: next(
            (
                e
                for e in reversed(assistant.tracker(sender)["events"])
                if e["event"] == "bot" and "никто из поддержки не освободился" in (e.get("text") or "")
            ),
            None,
        ),
        timeout=40,
        interval=1,
        message="the customer to be told nobody is free",
    )
    [by_email] = [b["payload"] for b in offer["data"]["buttons"] if b["title"] == "Ответ по почте"]
    assert "На какой адрес" in texts(assistant.say(sender, by_email))
    done = texts(assistant.say(sender, "ivan.petrov@example.ru"))
    assert f"#{ticket_id}" in done and "ivan.petrov@example.ru" in done
    ticket = assistant.http.get(
        f"{assistant.accounts_url}/v1/support-tickets/{ticket_id}",
        headers={"Authorization": f"Bearer {assistant.env['ACCOUNT_API_TOKEN']}"},
    ).json()
    assert (ticket["answer_by"], ticket["answer_email"], ticket["language"]) == (
        "email",
        "ivan.petrov@example.ru",
        "ru",
    )


def test_a_wait_outlives_a_restart_of_rasa_and_is_answered_once(assistant: Assistant, sender: str) -> None:
    """Rasa keeps reminders in memory: before bot.runtime.waits, a restart during the wait lost the
    "nobody is free yet" message and the customer waited without a word."""
    assistant.say(sender, "I want to talk to a person")
    assistant.supervisor.stop_service("rasa", hard=True)  # a crash, before the reminder is due
    assistant.supervisor.start_service("rasa")  # back after the due time: the reminder fires late

    def told() -> list[dict]:
        bots = [e for e in assistant.tracker(sender)["events"] if e["event"] == "bot"]
        return [e for e in bots if "nobody from the support team is free yet" in (e.get("text") or "")]

    assert wait_for(told, timeout=40, interval=1, message="the customer to be told nobody is free")
    assert assistant.tracker(sender)["slots"]["person_request"] == "waiting"
    assert len(told()) == 1

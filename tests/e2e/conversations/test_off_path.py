"""Journeys off the happy path, over the REST channel against the real stack and account service.

Real customers leave forms half-way, type passwords where addresses go, tap
old buttons, write in translit or SMS style, ask things the article does not
cover and come back with "still nothing". Each journey checks what the
customer reads (words, language, buttons) and what really happened (the
conversation's slots, the account service's outbox and tickets).
"""

import json
import uuid
from typing import Any

import pytest
from harness import Assistant

MAX_BUTTON_TITLE = 20


def texts(replies: list[dict[str, Any]]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def payloads(replies: list[dict[str, Any]]) -> list[str]:
    return [b["payload"] for r in replies for b in r.get("buttons", [])]


def titles(replies: list[dict[str, Any]]) -> list[str]:
    return [b["title"] for r in replies for b in r.get("buttons", [])]


def address(prefix: str, domain: str = "example.com") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@{domain}"


def new_sender() -> str:
    return f"off-{uuid.uuid4().hex[:12]}"


class Customer:
    """One customer's conversation: every reply is checked for quick-reply-sized buttons."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.sender = new_sender()

    def say(self, text: str) -> list[dict[str, Any]]:
        replies = self.assistant.say(self.sender, text)
        assert all(len(t) <= MAX_BUTTON_TITLE for t in titles(replies)), titles(replies)
        return replies

    def slot(self, name: str) -> Any:
        return self.assistant.tracker(self.sender)["slots"].get(name)

    def active_form(self) -> Any:
        return (self.assistant.tracker(self.sender).get("active_loop") or {}).get("name")

    def ticket(self, replies: list[dict[str, Any]]) -> dict[str, Any]:
        ticket_id = texts(replies).split("#", 1)[1].split()[0].rstrip(").:")
        return self.assistant.http.get(
            f"{self.assistant.accounts_url}/v1/support-tickets/{ticket_id}",
            headers={"Authorization": f"Bearer {self.assistant.env['ACCOUNT_API_TOKEN']}"},
        ).json()


def button(intent: str, **entities: str) -> str:
    return f"/{intent}{json.dumps(entities)}" if entities else f"/{intent}"


# ---- 1. forms a customer can leave ---------------------------------------------------------------


@pytest.mark.parametrize(
    "opening, leave, stopped",
    [
        ("I forgot my password", "cancel", "nothing was sent"),
        ("I forgot my password", "never mind, I'll do it later", "nothing was sent"),
        ("я не помню пароль", "отмена", "ничего не отправлял"),
        ("я не помню пароль", "не надо", "ничего не отправлял"),
        ("j'ai oublié mon mot de passe", "annuler", "je n'ai rien envoyé"),
        ("j'ai oublié mon mot de passe", "laisse tomber", "je n'ai rien envoyé"),
    ],
)
def test_leaving_at_the_address_step_ends_the_form_with_nothing_sent(
    assistant: Assistant, opening: str, leave: str, stopped: str
) -> None:
    customer = Customer(assistant)
    customer.say(opening)
    customer.say("/affirm")
    assert customer.active_form() == "password_reset_form"
    said = customer.say(leave)
    assert stopped in texts(said) and "email address" not in texts(said).lower()
    assert customer.active_form() is None


@pytest.mark.parametrize(
    "opening, person, language",
    [
        ("я не помню пароль", "позовите живого оператора", "ru"),
        ("I forgot my password", "I want to talk to a human", "en"),
    ],
)
def test_asking_for_a_person_at_the_address_step_hands_over_at_once(
    assistant: Assistant, opening: str, person: str, language: str
) -> None:
    customer = Customer(assistant)
    customer.say(opening)
    customer.say("/affirm")
    said = customer.say(person)
    assert "#" in texts(said) and customer.active_form() is None
    ticket = customer.ticket(said)
    assert ticket["topic"] == "human_request" and ticket["language"] == language
    assert customer.slot("language") == language


def test_another_article_problem_at_the_address_step_is_answered_and_the_form_can_go_on(
    assistant: Assistant,
) -> None:
    customer = Customer(assistant)
    email = address("resume")
    assistant.create_account(email)
    customer.say("j'ai oublié mon mot de passe")
    customer.say("/affirm")
    said = customer.say("en fait je ne sais même plus avec quelle adresse je me suis inscrit")
    assert "noreply@parallels.com" in texts(said) and "ne ressemble pas" not in texts(said)
    assert "On continue" in texts(said) and "/stop" in payloads(said)
    confirm = customer.say(email)
    assert email in texts(confirm)
    customer.say("oui")
    assert [m["kind"] for m in assistant.outbox(email)] == ["password_reset"]
    assert customer.slot("language") == "fr"


def test_a_question_outside_the_article_inside_a_form_is_answered_then_the_form_can_stop(
    assistant: Assistant,
) -> None:
    customer = Customer(assistant)
    customer.say("I don't get the device confirmation email")
    customer.say("/affirm")
    said = customer.say("how do I install Windows 11 on my Mac")
    assert "Messenger" in texts(said) and "rephrase" not in texts(said)
    assert "/stop" in payloads(said)
    assert "nothing was sent" in texts(customer.say("/stop"))
    assert customer.active_form() is None


@pytest.mark.parametrize(
    "language, opening, secret",
    [
        ("en", "I forgot my password", "my password is Tr0ub4dor&3xyz"),
        ("ru", "я не помню пароль", "пароль: Kx7#mQ2v!Lp"),
        ("fr", "j'ai oublié mon mot de passe", "mon mot de passe c'est Zq9$wE4r!Ty"),
    ],
)
def test_a_password_at_the_address_step_is_warned_about_and_never_repeated(
    assistant: Assistant, language: str, opening: str, secret: str
) -> None:
    customer = Customer(assistant)
    customer.say(opening)
    customer.say("/affirm")
    said = texts(customer.say(secret))
    password = secret.rsplit(" ", 1)[-1]
    assert password not in said
    assert {"en": "never share", "ru": "никогда никому", "fr": "Ne communiquez jamais"}[language] in said
    assert customer.active_form() == "password_reset_form"
    assert customer.slot("language") == language


def test_two_answers_that_are_not_addresses_offer_a_person(assistant: Assistant) -> None:
    customer = Customer(assistant)
    customer.say("не помню пароль от аккаунта")
    customer.say("/affirm")
    first = customer.say("anna.k.gmail.com")
    assert "не похоже на адрес" in texts(first) and "/request_human" not in payloads(first)
    second = customer.say("ivan_petrov yandex ru")
    assert "/request_human" in payloads(second) and "/stop" in payloads(second)
    assert "anna.k" not in texts(first + second) and "ivan_petrov" not in texts(first + second)


def test_no_at_the_confirmation_asks_for_another_address_or_stop(assistant: Assistant) -> None:
    customer = Customer(assistant)
    wrong, right = address("wrong"), address("right")
    assistant.create_account(wrong)
    assistant.create_account(right)
    customer.say("I forgot my password")
    customer.say("/affirm")
    customer.say(wrong)
    asked = customer.say("no")
    assert "another email address" in texts(asked)
    assert set(payloads(asked)) == {"/affirm", "/stop"}
    assert "Which email address" in texts(customer.say("/affirm"))
    customer.say(right)
    customer.say("/affirm")
    assert assistant.outbox(wrong) == [] and len(assistant.outbox(right)) == 1


def test_no_at_the_confirmation_then_stop_sends_nothing(assistant: Assistant) -> None:
    customer = Customer(assistant)
    email = address("stop")
    customer.say("je ne reçois pas le mail de confirmation pour mon nouvel appareil")
    customer.say("/affirm")
    customer.say(email)
    asked = customer.say("non")
    assert "autre adresse" in texts(asked) and "Arrêter" in titles(asked)
    assert "je n'ai rien envoyé" in texts(customer.say("/stop"))
    assert assistant.outbox(email) == [] and customer.active_form() is None


def test_an_old_offer_button_tapped_during_another_form_does_what_it_says(assistant: Assistant) -> None:
    customer = Customer(assistant)
    email = address("stale")
    assistant.create_account(email)
    offer = customer.say("I forgot my password")
    reset_button = next(p for p in payloads(offer) if "reset" in p)
    customer.say("my device confirmation email doesn't arrive")
    customer.say("/affirm")
    customer.say(email)
    assert customer.active_form() == "device_confirmation_form"
    # The "Send a reset link" button of the first answer, tapped now: a reset, not a device email.
    confirm = customer.say(reset_button)
    assert customer.active_form() == "password_reset_form" and email in texts(confirm)
    customer.say("/affirm")
    assert [m["kind"] for m in assistant.outbox(email)] == ["password_reset"]


def test_a_goodbye_inside_a_form_ends_it(assistant: Assistant) -> None:
    customer = Customer(assistant)
    customer.say("I forgot my password")
    customer.say("/affirm")
    assert "Goodbye" in texts(customer.say("bye"))
    assert customer.active_form() is None


# ---- 2. a typo is a question, never a rewrite -----------------------------------------------------


def test_a_domain_typo_is_asked_and_keeping_what_was_typed_is_respected(assistant: Assistant) -> None:
    customer = Customer(assistant)
    local = f"keep{uuid.uuid4().hex[:8]}"
    assistant.create_account(f"{local}@gmial.com")
    assistant.create_account(f"{local}@gmail.com")
    customer.say("I forgot my password")
    customer.say("/affirm")
    asked = customer.say(f"{local}@gmial.com")
    assert f"{local}@gmail.com" in texts(asked) and "typo" in texts(asked)
    assert titles(asked) == ["Yes, use gmail.com", "Keep what I typed"]
    customer.say("/deny")
    assert len(assistant.outbox(f"{local}@gmial.com")) == 1
    assert assistant.outbox(f"{local}@gmail.com") == []


def test_a_domain_typo_accepted_uses_the_suggested_domain_in_russian(assistant: Assistant) -> None:
    customer = Customer(assistant)
    local = f"fix{uuid.uuid4().hex[:8]}"
    assistant.create_account(f"{local}@mial.ru")
    assistant.create_account(f"{local}@mail.ru")
    customer.say("не помню пароль")
    customer.say("/affirm")
    asked = customer.say(f"{local}@mial.ru")
    assert "опечатка" in texts(asked) and f"{local}@mail.ru" in texts(asked)
    customer.say("да")
    assert len(assistant.outbox(f"{local}@mail.ru")) == 1 and assistant.outbox(f"{local}@mial.ru") == []


@pytest.mark.parametrize(
    "opening, domain",
    [
        ("I forgot my password", "yahoo.co.uk"),
        ("я не помню пароль", "mail.ua"),
        ("j'ai oublié mon mot de passe", "outlook.de"),
        ("I forgot my password", "hotmail.it"),
    ],
)
def test_real_domains_are_only_confirmed(assistant: Assistant, opening: str, domain: str) -> None:
    customer = Customer(assistant)
    email = address("real", domain)
    assistant.create_account(email)
    customer.say(opening)
    customer.say("/affirm")
    confirm = customer.say(email)
    assert email in texts(confirm) and len(payloads(confirm)) == 2
    assert all(word not in texts(confirm) for word in ("typo", "опечатка", "faute de frappe"))
    customer.say("/affirm")
    assert len(assistant.outbox(email)) == 1


def test_an_address_with_a_space_is_asked_about_not_cut(assistant: Assistant) -> None:
    customer = Customer(assistant)
    local = uuid.uuid4().hex[:6]
    assistant.create_account(f"ivan.petrov{local}@example.com")
    assistant.create_account(f"petrov{local}@example.com")
    customer.say("I forgot my password")
    customer.say("/affirm")
    asked = customer.say(f"ivan petrov{local}@example.com")
    assert f"ivanpetrov{local}@example.com" in texts(asked) and "space" in texts(asked)
    again = customer.say("/deny")
    assert "Which email address" in texts(again)
    customer.say(f"ivan.petrov{local}@example.com")
    customer.say("/affirm")
    assert assistant.outbox(f"petrov{local}@example.com") == []
    assert len(assistant.outbox(f"ivan.petrov{local}@example.com")) == 1


# ---- 3. follow-through after a link is sent --------------------------------------------------------


def reset_sent(customer: Customer, opening: str, email: str, yes: str = "/affirm") -> list[dict[str, Any]]:
    customer.say(opening)
    customer.say("/affirm")
    customer.say(email)
    return customer.say(yes)


def test_it_arrived_is_closed_warmly_with_one_satisfaction_question(assistant: Assistant) -> None:
    customer = Customer(assistant)
    email = address("arrived")
    assistant.create_account(email)
    sent = reset_sent(customer, "I forgot my password", email)
    assert set(payloads(sent)) >= {"/email_arrived", "/still_nothing"}
    assert "few minutes" not in texts(sent) and "hour" not in texts(sent)
    closed = customer.say("got it, I'm in now, thanks")
    assert "glad" in texts(closed) and len([p for p in payloads(closed) if p.startswith("/rate")]) == 5
    assert "Thank you" in texts(customer.say(button("rate", satisfaction="4")))
    assert customer.slot("satisfaction") == "4"


def test_still_nothing_twice_gives_the_checks_once_then_a_person_with_the_summary(
    assistant: Assistant,
) -> None:
    customer = Customer(assistant)
    email = address("nothing")
    assistant.create_account(email)
    reset_sent(customer, "не помню пароль", email, yes="да")
    first = customer.say("всё ещё не пришло")
    assert "noreply@parallels.com" in texts(first) and "Спам" in texts(first)
    assert "/still_nothing" in payloads(first)
    second = customer.say("нет, ничего так и не пришло, проверила спам")
    assert "#" in texts(second) and "noreply@parallels.com" not in texts(second)
    ticket = customer.ticket(second)
    assert ticket["topic"] == "human_request" and "всё ещё не пришло" in ticket["summary"]
    assert len(assistant.outbox(email)) == 1  # never an identical resend in a loop
    assert customer.slot("language") == "ru"


def test_french_device_follow_up_checks_then_success(assistant: Assistant) -> None:
    customer = Customer(assistant)
    email = address("appareil")
    assistant.create_account(email)
    reset_sent(customer, "je ne reçois pas l'e-mail de confirmation d'appareil", email, yes="oui")
    first = customer.say("toujours rien")
    assert "no-reply@parallels.com" in texts(first) and "déjà autorisé" in texts(first)
    closed = customer.say("c'est bon j'ai reçu le mail")
    assert "ravi" in texts(closed) and '/rate{"satisfaction": "5"}' in payloads(closed)
    assert [m["kind"] for m in assistant.outbox(email)] == ["device_confirmation"]


def test_still_nothing_without_anything_sent_asks_which_email(assistant: Assistant) -> None:
    customer = Customer(assistant)
    said = customer.say("still nothing")
    assert "Which email" in texts(said)
    assert "/device_confirmation_not_received" in payloads(said)


# ---- 4. out of scope, said plainly ---------------------------------------------------------------


@pytest.mark.parametrize(
    "message, language, channel_word",
    [
        ("how do I install Windows 11 on my Mac", "en", "Messenger"),
        ("I want a refund for my subscription", "en", "Messenger"),
        ("je voudrais supprimer mon compte", "fr", "Messenger"),
        ("где найти ключ лицензии для parallels desktop", "ru", "Messenger"),
    ],
)
def test_questions_outside_the_article_are_answered_plainly_with_a_person(
    assistant: Assistant, message: str, language: str, channel_word: str
) -> None:
    customer = Customer(assistant)
    said = customer.say(message)
    assert channel_word in texts(said) and "X (Twitter)" in texts(said)
    assert "/request_human" in payloads(said)
    assert customer.slot("language") == language
    assert "deleted" not in texts(said) or "deleting" in texts(said)


# ---- 5. real messages: translit, SMS, slang, the error's n days ------------------------------------


def test_translit_russian_is_answered_in_russian_and_stays_russian(assistant: Assistant) -> None:
    customer = Customer(assistant)
    email = address("translit")
    assistant.create_account(email)
    said = customer.say("zabyl parol ot akkaunta parallels, chto delat")
    assert "Забыли пароль" in texts(said) and customer.slot("language") == "ru"
    asked = customer.say("da")
    assert "адрес электронной почты" in texts(asked)
    customer.say(email)
    done = customer.say("ok")
    assert "noreply@parallels.com" in texts(done) and customer.slot("language") == "ru"
    assert len(assistant.outbox(email)) == 1


def test_french_sms_style_is_answered_in_french(assistant: Assistant) -> None:
    customer = Customer(assistant)
    said = customer.say("jai oublie mon mdp svp")
    assert "Mot de passe oublié" in texts(said) and customer.slot("language") == "fr"


@pytest.mark.parametrize(
    "opening, nonsense, rephrase",
    [
        ("I forgot my password", "x" * 50, "other words"),
        ("I forgot my password", "a" * 500, "other words"),
        ("я забыл пароль", "sdkjfh qwpoeiru zmxncb lkjsdf", "сформулировать иначе"),
    ],
)
def test_nonsense_is_asked_to_be_rephrased_and_keeps_the_language(
    assistant: Assistant, opening: str, nonsense: str, rephrase: str
) -> None:
    customer = Customer(assistant)
    customer.say(opening)
    language = customer.slot("language")
    said = customer.say(nonsense)
    assert rephrase in texts(said).lower() and customer.slot("language") == language


@pytest.mark.parametrize(
    "message, must, must_not",
    [
        (
            "I deleted my account 5 days ago and now I can't register again",
            "at least the number of days",
            "5 days",
        ),
        ("удалил аккаунт 5 дней назад, теперь не могу зарегистрироваться", "как минимум", "5 дн"),
        (
            "l'erreur dit que l'adresse ne peut pas être réutilisée pendant au moins 30 jours",
            "au moins 30 jours",
            "5 jours",
        ),
    ],
)
def test_the_days_come_only_from_the_errors_wording_and_keep_at_least(
    assistant: Assistant, message: str, must: str, must_not: str
) -> None:
    said = texts(Customer(assistant).say(message))
    assert must in said and must_not not in said


# ---- 6. license transfer with both addresses ---------------------------------------------------


def test_license_transfer_asks_for_the_old_and_new_addresses_and_tickets_both(assistant: Assistant) -> None:
    customer = Customer(assistant)
    old, new = address("old"), address("new")
    customer.say("I lost access to the email I registered with")
    asked_old = customer.say("/affirm")
    assert "no longer access" in texts(asked_old)
    asked_new = customer.say(old)
    assert "new Parallels account" in texts(asked_new)
    confirm = customer.say(new)
    assert old in texts(confirm) and new in texts(confirm)
    opened = customer.say("/affirm")
    assert "verified" in texts(opened)
    ticket = customer.ticket(opened)
    assert ticket["topic"] == "license_transfer" and ticket["email"] == new
    assert old in ticket["summary"] and new in ticket["summary"]


def test_russian_license_transfer_takes_the_old_address_from_the_story(assistant: Assistant) -> None:
    customer = Customer(assistant)
    old, new = address("staryi"), address("novyi")
    customer.say(f"у меня больше нет доступа к почте {old}, на неё зарегистрирован аккаунт")
    asked = customer.say("/affirm")
    assert "новом аккаунте" in texts(asked)
    confirm = customer.say(new)
    assert old in texts(confirm) and new in texts(confirm)
    opened = customer.say("да")
    assert "после верификации" in texts(opened)
    ticket = customer.ticket(opened)
    assert ticket["email"] == new and old in ticket["summary"]
    assert customer.slot("language") == "ru"


# ---- 7. facts only from the article ---------------------------------------------------------------


def test_the_business_account_answer_names_the_article_not_an_invented_url(assistant: Assistant) -> None:
    said = texts(Customer(assistant).say("comment créer un compte professionnel pour ma société ?"))
    assert "123518" in said and "http" not in said

"""Every row of the support article, over the REST channel, in the customer's own language.

The replies must be in the language the customer writes in and carry the
article's facts intact (senders, KB123518, the n-days rule, what support can
do), and offer the next step as buttons.
"""

import pytest
from harness import Assistant

# (message, facts every reply must contain somewhere, a word proving the language)
ROWS: dict[str, dict[str, tuple]] = {
    "en": {
        "forgot_password": ("I forgot my password", ["Forgot password", "My Account"], "reset"),
        "lost_email_access": (
            "I can't get into the mailbox I registered with anymore",
            ["new account", "licenses", "verification"],
            "support",
        ),
        "forgot_account_email": (
            "which email did I use to register my account?",
            ["noreply@parallels.com"],
            "mailboxes",
        ),
        "reset_email_not_received": (
            "I asked to reset my password but the reset email never comes",
            ["noreply@parallels.com", "Spam", "contacts"],
            "support",
        ),
        "device_confirmation_not_received": (
            "I sign in from a new browser and the device confirmation email doesn't arrive",
            ["no-reply@parallels.com", "Spam", "already confirmed"],
            "support",
        ),
        "email_already_in_use": (
            "registration says this email is already in use",
            ["Forgot password"],
            "account",
        ),
        "password_too_common": (
            "sign up says my password is too common",
            ["more complex password"],
            "password",
        ),
        "business_account": (
            "how do I create a business account for my company?",
            ["KB123518", "personal accounts"],
            "license",
        ),
        "email_recently_deleted": (
            "it says the email was deleted and I have to wait 45 days",
            ["45 days"],
            "new account",
        ),
    },
    "ru": {
        "forgot_password": ("я не помню пароль", ["Забыли пароль", "Мой аккаунт"], "сброса"),
        "lost_email_access": (
            "у меня больше нет доступа к почте, на которую регистрировал аккаунт",
            ["новый аккаунт", "лицензии", "верификации"],
            "поддержки",
        ),
        "forgot_account_email": (
            "не помню, на какую почту зарегистрирован аккаунт",
            ["noreply@parallels.com"],
            "почтовых",
        ),
        "reset_email_not_received": (
            "не приходит письмо для сброса пароля",
            ["noreply@parallels.com", "Спам", "контактов"],
            "поддержки",
        ),
        "device_confirmation_not_received": (
            "захожу с нового компьютера, а письмо для подтверждения устройства не приходит",
            ["no-reply@parallels.com", "Спам", "подтверждённого"],
            "поддержки",
        ),
        "email_already_in_use": (
            "при регистрации пишет: эта электронная почта уже используется",
            ["Забыли пароль"],
            "аккаунт",
        ),
        "password_too_common": (
            "пишет что пароль широко используется и не может надежно защитить аккаунт",
            ["более сложный пароль"],
            "пароль",
        ),
        "business_account": (
            "как создать бизнес-аккаунт для компании?",
            ["KB123518", "личных аккаунтов"],
            "лицензии",
        ),
        "email_recently_deleted": (
            "пишет что адрес ранее был удален, надо ждать 14 дней",
            ["14 дн"],
            "новый аккаунт",
        ),
    },
    "fr": {
        "forgot_password": (
            "j'ai oublié mon mot de passe",
            ["Mot de passe oublié", "Mon compte"],
            "réinitialiser",
        ),
        "lost_email_access": (
            "je n'ai plus accès à l'adresse mail de mon compte",
            ["nouveau compte", "licences", "vérification"],
            "assistance",
        ),
        "forgot_account_email": (
            "je ne sais plus avec quelle adresse mail j'ai créé mon compte",
            ["noreply@parallels.com"],
            "boîtes",
        ),
        "reset_email_not_received": (
            "je ne reçois pas le mail de réinitialisation du mot de passe",
            ["noreply@parallels.com", "spams", "contacts"],
            "ingénieurs",
        ),
        "device_confirmation_not_received": (
            "je ne reçois pas le mail de confirmation pour autoriser mon nouvel appareil",
            ["no-reply@parallels.com", "spams", "déjà autorisé"],
            "ingénieurs",
        ),
        "email_already_in_use": (
            "à l'inscription : cette adresse mail est déjà utilisée",
            ["Mot de passe oublié"],
            "compte",
        ),
        "password_too_common": (
            "il dit que mon mot de passe est trop courant et largement utilisé",
            ["plus complexe"],
            "mot de passe",
        ),
        "business_account": (
            "je veux un compte professionnel pour mon entreprise",
            ["123518", "comptes personnels"],
            "licence",
        ),
        "email_recently_deleted": (
            "il dit que l'adresse a été supprimée et qu'il faut attendre 60 jours",
            ["60 jours"],
            "nouveau compte",
        ),
    },
}


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


@pytest.mark.parametrize(
    "language, intent", [(lang, intent) for lang, rows in ROWS.items() for intent in rows]
)
def test_each_article_row_is_answered_in_the_customer_language(
    assistant: Assistant, sender: str, language: str, intent: str
) -> None:
    message, facts, language_word = ROWS[language][intent]
    replies = assistant.say(sender, message)
    said = texts(replies)
    for fact in facts + [language_word]:
        assert fact in said, f"{fact!r} missing from the answer to {message!r}:\n{said}"
    tracker = assistant.tracker(sender)
    assert tracker["slots"]["language"] == language
    assert tracker["latest_message"]["intent"]["name"] == intent


@pytest.mark.parametrize(
    "message, button_payloads",
    [
        ("I forgot my password", {'/affirm{"offer": "reset"}', "/request_human"}),
        (
            "je ne peux pas créer de compte Parallels",
            {"/email_already_in_use", "/password_too_common", "/email_recently_deleted", "/business_account"},
        ),
        ("не приходит письмо с подтверждением устройства", {'/affirm{"offer": "device"}', "/request_human"}),
    ],
)
def test_the_next_step_is_offered_as_buttons(
    assistant: Assistant, sender: str, message: str, button_payloads: set
) -> None:
    buttons = [b for r in assistant.say(sender, message) for b in r.get("buttons", [])]
    assert button_payloads <= {b["payload"] for b in buttons}


def test_a_generic_missing_email_asks_which_one(assistant: Assistant, sender: str) -> None:
    replies = assistant.say(sender, "I don't get any email from you")
    payloads = {b["payload"] for r in replies for b in r.get("buttons", [])}
    assert any(p.startswith("/reset_email_not_received") for p in payloads)
    assert any(p.startswith("/device_confirmation_not_received") for p in payloads)
    answer = assistant.say(sender, "/device_confirmation_not_received")
    assert "no-reply@parallels.com" in texts(answer)
    replies = assistant.say(sender, "je ne reçois aucun mail de votre part")
    assert "Quel e-mail" in texts(replies)
    answer = assistant.say(sender, '/reset_email_not_received{"email_kind": "reset"}')
    assert "noreply@parallels.com" in texts(answer) and "spams" in texts(answer)


def test_the_language_sticks_over_short_messages(assistant: Assistant, sender: str) -> None:
    assistant.say(sender, "у меня не получается войти в аккаунт, пишет неправильный пароль")
    assert assistant.tracker(sender)["slots"]["language"] == "ru"
    replies = assistant.say(sender, "ok")
    assert assistant.tracker(sender)["slots"]["language"] == "ru"
    assert all(not r.get("text") or any("а" <= c <= "я" for c in r["text"].lower()) for r in replies)
    assistant.say(sender, "sorry, can we continue in English please?")
    assert assistant.tracker(sender)["slots"]["language"] == "en"


def test_a_telegram_locale_answers_the_first_ambiguous_message_in_that_language(
    assistant: Assistant, sender: str
) -> None:
    replies = assistant.say(sender, "hi", metadata={"locale": "fr"})
    assert assistant.tracker(sender)["slots"]["language"] == "fr"
    assert "Bonjour" in texts(replies)


def test_a_bot_question_says_it_is_automated_and_lists_what_it_solves(
    assistant: Assistant, sender: str
) -> None:
    said = texts(assistant.say(sender, "are you a bot?"))
    assert "automated" in said and "business account" in said
    said = texts(assistant.say(sender, "что ты умеешь?"))
    assert "автоматический" in said and "бизнес-аккаунт" in said


def test_misunderstanding_twice_offers_a_person(assistant: Assistant, sender: str) -> None:
    first = texts(assistant.say(sender, "zxqv blorp flim"))
    assert "other words" in first or "rephrase" in first.lower()
    second = assistant.say(sender, "qwop zing vlarp")
    assert "/request_human" in {b["payload"] for r in second for b in r.get("buttons", [])}
    third = texts(assistant.say(sender, "blarg fnord quux"))
    assert "passed your conversation to our support team (request #" in third


@pytest.mark.parametrize(
    "message, warning",
    [
        ("my password is Qwerty123 and it doesn't work", "never share your password"),
        ("мой пароль: Zx12345vb, почему не пускает?", "никогда никому не сообщайте"),
        ("mon mot de passe est Soleil2024 et ça ne marche pas", "Ne communiquez jamais"),
    ],
)
def test_a_shared_password_gets_a_warning(
    assistant: Assistant, sender: str, message: str, warning: str
) -> None:
    said = texts(assistant.say(sender, message))
    assert warning in said
    stored = [e.get("text") or "" for e in assistant.tracker(sender)["events"] if e["event"] == "user"]
    assert not any(secret in text for text in stored for secret in ("Qwerty123", "Zx12345vb", "Soleil2024"))

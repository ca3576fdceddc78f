"""Credentials typed in a chat are found and replaced, in English, Russian and French."""

import pytest

from bot.redaction import REDACTION_MARKER, find_credentials, redact_credentials


@pytest.mark.parametrize(
    "text, secret",
    [
        ("my password is Qwerty123", "Qwerty123"),
        ("My password is sunshine", "sunshine"),
        ("password: hello", "hello"),
        ("my pwd=Xy!9zz", "Xy!9zz"),
        ('my password is "correct horse battery"', '"correct horse battery"'),
        ("мой пароль Qwerty123", "Qwerty123"),
        ("мой пароль: 12345", "12345"),
        ("мой пароль это qwerty", "qwerty"),
        ("moi parol Qwerty123!", "Qwerty123!"),  # Russian in Latin letters
        ("parol: lena1985", "lena1985"),
        ("mon mot de passe est soleil123", "soleil123"),
        ("mon mdp c'est azerty", "azerty"),
        ("le mot de passe : Chat-Noir-42", "Chat-Noir-42"),
        ("my api token is ghp_abcdEFGH1234567890abcdefXYZ", "ghp_abcdEFGH1234567890abcdefXYZ"),
    ],
)
def test_secrets_are_replaced_by_a_visible_marker(text: str, secret: str) -> None:
    redacted = redact_credentials(text)
    assert secret not in redacted
    assert REDACTION_MARKER in redacted


@pytest.mark.parametrize(
    "text",
    [
        "I forgot my password",
        "my password is wrong",
        "the password is too common",
        "password reset email never arrives",
        "мой пароль не подходит",
        "zabyl parol",
        "пароль слишком простой",
        "mot de passe oublié",
        "mon mot de passe est refusé",
        "my email is anna.k@gmail.com",
        "password for anna@mail.ru doesn't work",
        "it says wait 30 days",
    ],
)
def test_talk_about_passwords_is_left_alone(text: str) -> None:
    assert find_credentials(text) == []
    assert redact_credentials(text) == text


def test_the_rest_of_the_message_survives() -> None:
    # The "!" goes with the password: passwords end in one as often as sentences do.
    assert redact_credentials("my password is Hunter2! and it fails") == (
        f"my password is {REDACTION_MARKER} and it fails"
    )


def test_remembered_spans_depend_on_the_question_and_are_fresh_copies() -> None:
    """The memo of the last texts' spans answers as a new scan would, per question context."""
    bare = "lena1985"  # a bare password-shaped answer: a secret only after "what is your email?"
    asked = find_credentials(bare, "email")
    assert asked == [(0, len(bare))]
    assert find_credentials(bare, "email") == asked
    assert find_credentials(bare) == find_credentials(bare, "days") == []
    asked.clear()
    assert find_credentials(bare, "email") == [(0, len(bare))]


def test_long_texts_are_scanned_without_being_remembered() -> None:
    long = "word " * 5_000 + "password: Qwerty!2024"
    assert redact_credentials(long).endswith(f"password: {REDACTION_MARKER}")
    assert redact_credentials(long) == redact_credentials(long)

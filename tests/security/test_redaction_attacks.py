"""Attack: credentials that slipped through redaction, and innocent text it destroyed.

Each case below is one the security review reproduced on the old matcher: a password with `@`,
an address/password pair, a bare password at the address prompt, "my pass is", "changed my
password to", "password -> X", "пароль такой: X" (the marker replaced the wrong word), one-time
codes and card numbers went through; a UUID, an order number, "I can't pass 2FA" and
"Pass: 3 days" were mangled; and a second pass over redacted text mangled the marker itself.
"""

import json
from pathlib import Path

import pytest

from bot.redaction import REDACTION_MARKER, redact_credentials
from ops.evaluation import REDACTION_CORPUS, redaction_report

MISSED_BEFORE = [
    ("password: P@ssw0rd!", "P@ssw0rd", None),
    ("mot de passe est Azerty@123", "Azerty@123", None),
    ("пароль: qwerty@2024", "qwerty@2024", None),
    ("anna@mail.com / Qwerty!2024", "Qwerty!2024", None),
    ("login x@y.com pass Zx12cv34", "Zx12cv34", None),
    ("Qwerty!2024", "Qwerty!2024", "email"),
    ("Lena1985", "Lena1985", "email"),
    ("my pass is sunflower77", "sunflower77", None),
    ("I changed my password to Summer2024! yesterday", "Summer2024", None),
    ("password -> Abc12345", "Abc12345", None),
    ("пароль такой: Lena1985", "Lena1985", None),
    ("код из смс 739201", "739201", None),
    ("le code reçu est 553201", "553201", None),
    ("my card is 4111 1111 1111 1111", "4111 1111 1111 1111", None),
    ("мой пароль Secret123! не подходит", "Secret123", None),
]

MANGLED_BEFORE = [
    "my account id is 3f2b8c1e-9d4a-4e7b-a1c2-5d6e7f8a9b0c",
    "order PD-2024-000123456-ABCDEF",
    "I can't pass 2FA",
    "Pass: 3 days",
    "my order number is 1234567812345678",  # 16 digits, not a card: fails the Luhn check
    "anna.k@gmail.com",
]


@pytest.mark.parametrize("text, secret, requested_slot", MISSED_BEFORE)
def test_a_credential_the_old_matcher_missed_is_redacted(text, secret, requested_slot):
    redacted = redact_credentials(text, requested_slot=requested_slot)
    assert secret not in redacted
    assert REDACTION_MARKER in redacted


def test_the_marker_replaces_the_password_not_the_word_before_it():
    assert redact_credentials("пароль такой: Lena1985") == f"пароль такой: {REDACTION_MARKER}"


@pytest.mark.parametrize("text", MANGLED_BEFORE)
def test_innocent_text_the_old_matcher_mangled_is_left_alone(text):
    assert redact_credentials(text) == text
    assert redact_credentials(text, requested_slot="email") == text


def test_a_bare_password_is_a_secret_at_the_address_prompt_only_when_shaped_like_one():
    assert redact_credentials("sunflower77", requested_slot="email") == REDACTION_MARKER
    assert redact_credentials("sunflower77") == "sunflower77"  # elsewhere: a username, a word
    for answer in ("anna@mail.ru", "anna at gmail dot com", "I don't remember", "no"):
        assert redact_credentials(answer, requested_slot="email") == answer


@pytest.mark.parametrize(
    "text",
    [
        "мой пароль: Secret123!",
        "password: P@ssw0rd!",
        "code 739201",
        "anna@mail.com / Qwerty!2024",
    ],
)
def test_redaction_is_applied_once_however_often_it_runs(text):
    once = redact_credentials(text)
    assert redact_credentials(once) == once
    assert redact_credentials(once, requested_slot="email") == once
    assert "credential] credential]" not in redact_credentials(redact_credentials(once))


def test_the_corpus_meets_the_recall_and_false_positive_targets_in_every_language():
    sizes = {"secret": 0, "innocent": 0}
    for lang, figures in redaction_report().items():
        sizes["secret"] += figures["secret_messages"]
        sizes["innocent"] += figures["innocent_messages"]
        assert figures["recall"] >= 0.98, (lang, figures["missed"])
        assert figures["false_positive_rate"] <= 0.01, (lang, figures["false_positives"])
    assert sizes["secret"] >= 300 and sizes["innocent"] >= 300


def test_the_corpus_covers_every_category_in_every_language():
    wanted = {"keyword", "pair", "change", "bare", "otp", "card", "token", "innocent"}
    for lang in ("en", "ru", "fr"):
        rows = [
            json.loads(line)
            for line in Path(REDACTION_CORPUS, f"{lang}.jsonl").read_text(encoding="utf-8").splitlines()
        ]
        assert wanted <= {row["category"] for row in rows}, lang
        assert any(row.get("context") == "email_prompt" and row["secrets"] for row in rows)
        assert any(row.get("context") == "email_prompt" and not row["secrets"] for row in rows)

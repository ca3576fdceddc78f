"""Every text the assistant can say exists in each language of bot.languages (English, Russian
and French)."""

import string
from pathlib import Path

import yaml

from bot.languages import LANGUAGES as LANGUAGE_LIST

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = set(LANGUAGE_LIST)
CONTRACT = {
    "forgot_password",
    "login_invalid_credentials",
    "lost_email_access",
    "forgot_account_email",
    "reset_email_not_received",
    "device_confirmation_not_received",
    "cannot_register",
    "email_already_in_use",
    "password_too_common",
    "business_account",
    "email_recently_deleted",
    "request_human",
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "bot_challenge",
    "inform",
    "nlu_fallback",
    "out_of_scope",
    "stop",
    "email_arrived",
    "still_nothing",
    "rate",
}
# Messenger's quick replies carry at most 20 characters: a longer title is no button at all there.
MAX_BUTTON_TITLE = 20


def _domain() -> dict:
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def _variation_language(variation: dict) -> str:
    conditions = variation.get("condition") or []
    languages = [c["value"] for c in conditions if c.get("name") == "language"]
    assert len(languages) <= 1, variation
    return languages[0] if languages else "en"


def test_every_response_has_exactly_the_three_languages() -> None:
    missing: list[str] = []
    for name, variations in _domain()["responses"].items():
        languages = [_variation_language(v) for v in variations]
        if sorted(languages) != sorted(LANGUAGES):
            missing.append(f"{name}: {languages}")
        assert not any(v.get("channel") for v in variations), (
            f"{name}: a channel-specific variation outranks every language condition"
        )
    assert not missing, "responses without all three languages:\n" + "\n".join(missing)


def test_every_prompt_of_the_forms_has_the_three_languages() -> None:
    prompts = yaml.safe_load((ROOT / "actions" / "prompts.yml").read_text(encoding="utf-8"))
    for name, variants in prompts.items():
        assert set(variants) == LANGUAGES, name
        placeholders = {lang: sorted(_fields(v["text"])) for lang, v in variants.items()}
        assert len({tuple(p) for p in placeholders.values()}) == 1, (name, placeholders)


def test_translations_fill_the_same_placeholders() -> None:
    for name, variations in _domain()["responses"].items():
        fields = {tuple(sorted(_fields(v["text"]))) for v in variations}
        assert len(fields) == 1, (name, fields)
        buttons = {len(v.get("buttons", [])) for v in variations}
        payloads = {tuple(b["payload"] for b in v.get("buttons", [])) for v in variations}
        assert len(buttons) == 1 and len(payloads) == 1, name


def test_the_intents_are_the_contract() -> None:
    intents = {next(iter(i)) if isinstance(i, dict) else i for i in _domain()["intents"]}
    assert intents == CONTRACT


def _fields(text: str) -> list[str]:
    return [field for _, field, _, _ in string.Formatter().parse(text) if field]


def test_every_button_title_fits_a_quick_reply_in_every_language() -> None:
    too_long = [
        f"{name} [{_variation_language(v)}]: {b['title']!r}"
        for name, variations in _domain()["responses"].items()
        for v in variations
        for b in v.get("buttons", [])
        if len(b["title"]) > MAX_BUTTON_TITLE
    ]
    prompts = yaml.safe_load((ROOT / "actions" / "prompts.yml").read_text(encoding="utf-8"))
    for name, variants in prompts.items():
        for lang, variant in variants.items():
            for button in variant.get("buttons", []):
                fixed = [button["title"]] if not _fields(button["title"]) else [button["fallback"]]
                too_long += [f"{name} [{lang}]: {t!r}" for t in fixed if len(t) > MAX_BUTTON_TITLE]
    assert not too_long, "button titles over 20 characters:\n" + "\n".join(too_long)


def test_a_filled_in_title_falls_back_when_the_value_makes_it_too_long() -> None:
    from actions.prompts import render

    for lang in LANGUAGES:
        short = render("email_typo", lang, typed="a@gmial.com", email="a@gmail.com", domain="gmail.com")
        long = render(
            "email_typo", lang, typed="a@protonmial.com", email="a@protonmail.com", domain="protonmail.com"
        )
        assert "gmail.com" in short["buttons"][0]["title"]
        assert all(len(b["title"]) <= MAX_BUTTON_TITLE for b in short["buttons"] + long["buttons"])

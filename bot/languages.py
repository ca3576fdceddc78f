"""The languages the assistant speaks, listed once: the NLU's language identifier, the evaluation,
the account API's schema, the replies' fallbacks and the tests that check every text exists in
each of them all read this list. Adding a language starts here (then data/, domain.yml and
actions/prompts.yml, which tests/test_languages.py checks against it)."""

LANGUAGES: tuple[str, ...] = ("en", "ru", "fr")
# What a conversation speaks before anything says otherwise (no message, no platform locale).
DEFAULT_LANGUAGE = "en"

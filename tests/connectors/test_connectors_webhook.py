"""connectors.webhook and bot.clean_text: the checks every webhook makes before a turn exists."""

import json
import time

import pytest

from bot.clean_text import clean_json, clean_text, is_clean_identifier
from connectors.turns import Incoming
from connectors.webhook import cut, json_depth_within, json_object, platform_id


def test_json_depth_is_bounded_before_parsing() -> None:
    assert json_object(b'{"a": [[[1]]]}') == {"a": [[[1]]]}
    assert json_object(b"[" * 100000 + b"]" * 100000) is None
    assert json_object(b'{"a":' * 33 + b"1" + b"}" * 33) is None
    # brackets inside strings are text, not nesting
    assert json_object(json.dumps({"t": "[" * 1000}).encode()) == {"t": "[" * 1000}
    assert json_depth_within(b'{"a": "\\"[[[[["}', limit=1)


def test_text_is_repaired_and_identifiers_refused() -> None:
    assert clean_text("a\ud800b\x00c\x1bd\te\nf") == "a\ufffdbcd\te\nf"
    assert clean_json({"k\udfff": ["\x00", 1, None]}) == {"k\ufffd": ["", 1, None]}
    assert is_clean_identifier("customer-42", 128)
    for bad in ("", "  ", "a\ud800", "a\x00", "a\tb", "x" * 129):
        assert not is_clean_identifier(bad, 128)


def test_platform_ids_are_decimal_numbers_only() -> None:
    assert platform_id("1234") == "1234" and platform_id(1234) == "1234"
    for bad in ("12\ud800", "telegram:1", "-5", "", 1.0, True, None, {"id": 1}, "1" * 33):
        assert platform_id(bad) is None


def test_incoming_messages_are_checked_cleaned_and_cut() -> None:
    message = Incoming.checked("42", "hé\ud800" + "x" * 5000, "mid.1", limit=2000, locale="fr_FR")
    assert message is not None
    assert message.text.startswith("hé\ufffd") and len(message.text) == 2000
    assert message.cut_from == 5003 and message.limit == 2000
    assert Incoming.checked("42", "short", 7, limit=2000).cut_from is None
    assert Incoming.checked("42", "   ", "m", limit=2000) is None
    assert Incoming.checked("42", {"text": "x"}, "m", limit=2000) is None
    assert Incoming.checked("42", "hi", None, limit=2000) is None
    assert cut("abc", 2) == ("ab", 3) and cut("ab", 2) == ("ab", None)


@pytest.mark.parametrize("text", ["a" * 100_000, "@" * 100_000, "a@" * 50_000, "\ud800" * 100_000])
def test_cleaning_is_linear_on_a_100_kb_token(text: str) -> None:
    """A quadratic step here took 23 s on a 100 KB word; linear work takes milliseconds."""
    started = time.perf_counter()
    json_depth_within(json.dumps({"t": text}).encode())
    Incoming.checked("42", text, "m", limit=10000)
    clean_text(text)
    assert time.perf_counter() - started < 1.0

r"""Attack: one crafted message that makes redaction, the tokenizer or the language component
(and so its process) spin.

They run on every message, so a regular expression that backtracks on a long token would let
one customer stop a worker: before, the language component's `\S+@\S+` took about 36 s on one
100 KB word and the tokenizer's address pattern minutes on `a@a.a.a…@`. Every pattern in
bot.redaction is run here
on 100 KB tokens built to make a backtracking pattern explode (long runs of each character class,
almost-addresses, almost-cards, unclosed quotes); a quadratic pattern takes minutes on these,
a linear one milliseconds, so the test's time limit tells them apart without measuring speed.
"""

import re

import pytest

import bot.nlu.language
import bot.nlu.tokenizer
import bot.redaction
from bot.redaction import REDACTION_MARKER, redact_credentials

SIZE = 100_000
ADVERSARIAL = {
    "letters": "a" * SIZE,
    "digits": "1" * SIZE,
    "digits with spaces": "1 " * (SIZE // 2),
    "digits with dashes": "1-" * (SIZE // 2),
    "at signs": "a@" * (SIZE // 2),
    "address with endless dots": "a@" + "a." * (SIZE // 2),
    "address that never ends": "a" * SIZE + "@" + "b." * 10,
    "keyword and a huge value": "password: " + "x" * SIZE,
    "glued keyword": "password:" + "Ab1!" * (SIZE // 4),
    "unclosed quote": 'password "' + "a " * (SIZE // 2),
    "upper-case reference": "A-" * (SIZE // 2),
    "uuid-like": "0-" * (SIZE // 2),
    "markers": REDACTION_MARKER * (SIZE // len(REDACTION_MARKER)),
    "keywords": "password " * (SIZE // 9),
    "codes": "code 1 " * (SIZE // 7),
    "password shapes": "tried Ab1!xyz " * (SIZE // 14),
    "mixed classes": "Aa1!" * (SIZE // 4),
    "dots": "." * SIZE,
    "opening quotes": "«" * SIZE,
    "unclosed markers": "[redacted:" * (SIZE // 10),
    "address ending in @": "a@" + "a." * (SIZE // 2) + "@",
}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_redaction_finishes_on_a_100_kb_adversarial_token(name):
    text = ADVERSARIAL[name]
    assert isinstance(redact_credentials(text), str)
    assert isinstance(redact_credentials(text, requested_slot="email"), str)


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    "module", [bot.redaction, bot.nlu.tokenizer, bot.nlu.language], ids=lambda module: module.__name__
)
def test_every_pattern_is_linear_on_100_kb_tokens(module):
    patterns = [value for value in vars(module).values() if isinstance(value, re.Pattern)]
    assert patterns
    for pattern in patterns:
        for text in ADVERSARIAL.values():
            pattern.fullmatch(text)
            pattern.match(text)
            for _ in pattern.finditer(text):
                pass

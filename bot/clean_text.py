"""Text that every store can keep, from bytes nobody vouched for.

JSON can carry strings that are not valid Unicode (`"\\ud800"` decodes to a lone surrogate,
which no UTF-8 database can encode) and control characters (PostgreSQL refuses NUL). Such a
string once stopped the Rasa process (its tracker store) and, read back from the tracker, the
console's sync for good. The channels repair customer text with these functions before a turn
exists, and the console repairs what it reads from the tracker, so neither meets it again.
"""

import re
from typing import Any

_SURROGATES = re.compile("[\ud800-\udfff]")
# C0 and C1 control characters except tab, line feed and carriage return, and DEL.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean_text(text: str) -> str:
    """`text` as valid Unicode that any store can keep: lone surrogates become U+FFFD, control
    characters (NUL included) are removed; tabs and line breaks stay."""
    return _CONTROLS.sub("", _SURROGATES.sub("\ufffd", text))


def clean_json(value: Any) -> Any:
    """A parsed JSON value with every string (keys included) passed through `clean_text`."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(str(key)): clean_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [clean_json(item) for item in value]
    return value


def is_clean_identifier(text: str, max_length: int) -> bool:
    """Whether `text` can be an identifier as it is: non-blank, at most `max_length` characters,
    with no lone surrogate and no control character (tabs and line breaks included).
    Identifiers are refused, never repaired: two different ids must never become one."""
    return (
        0 < len(text) <= max_length
        and bool(text.strip())
        and not _SURROGATES.search(text)
        and not _CONTROLS.search(text)
        and not any(c in text for c in "\t\n\r")
    )

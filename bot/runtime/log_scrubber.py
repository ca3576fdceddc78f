"""Secrets out of every log record of the process.

Rasa configures logging in each process it starts (`rasa run` sets up its handlers after our
modules are imported), so the scrubber is a log *record factory*: it cleans a record when it is
made, whichever logger or handler later writes it (Sanic's own handlers, `--log-file`, httpx's
request lines, which carry Telegram's bot token inside the URL).

Every registered secret is scrubbed, whatever its length: a short token is a weak token, but it
is still a token, and a log is the first place an attacker reads.
"""

import logging
import traceback
from typing import Any, Iterable, Set
from urllib.parse import quote

_SECRETS: Set[str] = set()
_INSTALLED = False
REPLACEMENT = "***"


def protect_secrets(values: Iterable[str]) -> None:
    """Replaces these values (and their URL-encoded forms) by `***` in every later log record."""
    global _INSTALLED
    for value in values:
        if value:
            _SECRETS.add(value)
            _SECRETS.add(quote(value, safe=""))
    if _INSTALLED:
        return
    make_record = logging.getLogRecordFactory()

    def scrubbing_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        _scrub(record)
        return record

    logging.setLogRecordFactory(scrubbing_factory)
    _INSTALLED = True


def without_secrets(text: str) -> str:
    """`text` with every registered secret replaced by `***`, longest first (a secret that
    contains another is replaced whole)."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REPLACEMENT)
    return text


def _scrub(record: logging.LogRecord) -> None:
    if not _SECRETS:
        return
    try:
        message = record.getMessage()
    except Exception:  # a malformed record: logging reports it later, as usual
        return
    cleaned = without_secrets(message)
    if cleaned != message:
        record.msg, record.args = cleaned, ()
    if record.exc_info and record.exc_info[1] is not None:
        formatted = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        cleaned = without_secrets(formatted)
        if cleaned != formatted:
            record.exc_text = cleaned

"""Judging an email address a customer typed, before anything is sent to it.

Syntax is checked with email-validator (no DNS look-up: the assistant must
answer the same for every address and must not leak timing), and the domain
is compared with the mailbox providers customers use most, so that
"gmial.com" gets a "did you mean gmail.com?" rather than a reset email into
the void.
"""

import difflib
import re
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

# The providers our customers write from most (English, Russian and French markets).
COMMON_DOMAINS = (
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "yahoo.fr",
    "outlook.com",
    "outlook.fr",
    "hotmail.com",
    "hotmail.fr",
    "live.com",
    "live.fr",
    "msn.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "gmx.com",
    "gmx.de",
    "gmx.fr",
    "mail.ru",
    "inbox.ru",
    "list.ru",
    "bk.ru",
    "yandex.ru",
    "ya.ru",
    "yandex.com",
    "rambler.ru",
    "orange.fr",
    "wanadoo.fr",
    "free.fr",
    "sfr.fr",
    "laposte.net",
    "neuf.fr",
    "bbox.fr",
    "numericable.fr",
    "videotron.ca",
    "sympatico.ca",
    "skynet.be",
    "bluewin.ch",
)
# Starts only where a run of address characters starts (the lookbehind): a match found from inside
# a run would also be found from its start, and without it a long run with no "@" is rescanned
# from every position (quadratic: seconds on one 10,000-character word).
_ADDRESS = re.compile(r"(?<![^\s<>()\[\],;:\"«»])[^\s<>()\[\],;:\"«»]+@[^\s<>()\[\],;:\"«»]+")


@dataclass(frozen=True)
class CheckedAddress:
    """What the form needs to know about a typed address."""

    address: str | None  # normalised, or None when it is not an address
    typed: str
    corrected: bool = False  # `address` fixes a typo in the domain of `typed`


def find_address(text: str) -> str | None:
    """The first thing in `text` shaped like an address, trailing punctuation dropped."""
    match = _ADDRESS.search(text)
    return match.group(0).rstrip(".!?") if match else None


def suggest_domain(domain: str) -> str | None:
    """A common provider's domain that `domain` is most likely a typo of."""
    domain = domain.lower()
    if domain in COMMON_DOMAINS:
        return None
    close = difflib.get_close_matches(domain, COMMON_DOMAINS, n=1, cutoff=0.8)
    return close[0] if close else None


def check_address(typed: str) -> CheckedAddress:
    """Validates what the customer typed and fixes a common-domain typo."""
    candidate = find_address(typed) or typed.strip()
    try:
        valid = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError:
        return CheckedAddress(address=None, typed=candidate)
    local, domain = valid.local_part, valid.domain
    suggestion = suggest_domain(domain)
    if suggestion:
        return CheckedAddress(address=f"{local}@{suggestion}", typed=candidate, corrected=True)
    return CheckedAddress(address=f"{local}@{domain.lower()}", typed=candidate)

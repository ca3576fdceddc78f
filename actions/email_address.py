"""Judging an email address a customer typed, before anything is sent to it.

Syntax is checked with email-validator (no DNS look-up: the assistant must
answer the same for every address and must not leak timing). A typo is a
question, never a rewrite: when the domain is close to a common provider's
and is not itself a real, common domain ("gmial.com"), the form asks "did you
mean gmail.com?" and keeps what was typed if the customer says so. Country
domains and the smaller real providers (yahoo.co.uk, mail.com, mail.ua,
web.de, outlook.de, hotmail.it, ukr.net…) are never questioned. Nothing typed
is dropped: "ivan petrov@gmail.com" is asked about, not cut to petrov@gmail.com.

Every pattern here runs on customer text and is linear in its length.
"""

import difflib
import re
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

# The providers our customers write from most (English, Russian and French markets): the domains
# a typo is compared with.
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
# Mailbox providers that exist under many country and generic suffixes: <provider>.<suffix> with
# both known is a real domain, kept as typed (yahoo.co.uk, outlook.de, hotmail.it, mail.ua…).
PROVIDERS = frozenset(
    (
        "gmail googlemail yahoo ymail rocketmail outlook hotmail live msn windowslive icloud me mac "
        "aol proton protonmail pm gmx mail email inbox list bk yandex ya rambler orange wanadoo free "
        "sfr laposte neuf bbox numericable videotron sympatico skynet bluewin web t-online freenet "
        "posteo mailbox ukr i meta bigmir tut online zoho fastmail hushmail tutanota tuta seznam "
        "libero virgilio tiscali alice aliceadsl club-internet voila telenet"
    ).split()
)
SUFFIXES = frozenset(
    (
        "com net org info biz me io fr de it es uk co.uk org.uk ru ua com.ua kz by am az ge md uz "
        "be ch at nl pl pt cz sk se no dk fi ie lu ca us au com.au nz co.nz co.za jp co.jp cn in "
        "br com.br ar com.ar mx com.mx tr com.tr il co.il gr ro hu bg lt lv ee"
    ).split()
)
# Words a customer may put before the address at the address prompt ("email anna@…").
_LEAD_WORDS = frozenset(
    (
        "email e-mail mail address adresse my is it's its c'est est voici voila here mon ma "
        "почта адрес мой моя это вот"
    ).split()
)
_STOP = '\\s<>()\\[\\],;:"«»'
# Starts only at a token's start, so a long token without "@" is scanned once.
_ADDRESS = re.compile(rf"(?<![^{_STOP}])[^{_STOP}@]+@[^{_STOP}]+")
_ADDRESS_CHARACTERS = re.compile(r"[A-Za-z0-9._%+\-@]+")


@dataclass(frozen=True)
class CheckedAddress:
    """What the form needs to know about a typed address."""

    address: str | None  # normalised, or None when it is not usable as typed
    typed: str
    suggestion: str | None = None  # a likely meant address, to be asked about
    spaced: bool = False  # `typed` is an address broken by spaces; `suggestion` joins it


def find_address(text: str) -> str | None:
    """The first thing in `text` shaped like an address, trailing punctuation dropped."""
    match = _ADDRESS.search(text)
    return match.group(0).rstrip(".!?") if match else None


def is_real_domain(domain: str) -> bool:
    """True for a common domain or a known provider under a known suffix (never "corrected")."""
    domain = domain.lower()
    if domain in COMMON_DOMAINS:
        return True
    provider, _, suffix = domain.partition(".")
    return provider in PROVIDERS and suffix in SUFFIXES


def suggest_domain(domain: str) -> str | None:
    """A common provider's domain that `domain` is most likely a typo of; None for real domains."""
    if is_real_domain(domain):
        return None
    close = difflib.get_close_matches(domain.lower(), COMMON_DOMAINS, n=1, cutoff=0.8)
    return close[0] if close else None


def _valid(candidate: str) -> str | None:
    """`candidate` normalised (domain lower-cased) when it is a syntactically valid address."""
    try:
        valid = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError:
        return None
    return f"{valid.local_part}@{valid.domain.lower()}"


def spaced_address(text: str) -> str | None:
    """The address `text` becomes without its spaces, when `text` is only a spaced-out address.

    "ivan petrov@gmail.com", "anna.k @gmail.com": a few tokens made of address characters and
    nothing else; "my email is ivan@yandex.ru" is a sentence and is not joined.
    """
    tokens = text.strip().rstrip(".!?").split()
    if not 2 <= len(tokens) <= 4 or "@" not in text:
        return None
    if any(t.lower() in _LEAD_WORDS or not _ADDRESS_CHARACTERS.fullmatch(t) for t in tokens):
        return None
    return _valid("".join(tokens))


# An address written out in words, as customers type it when they fear bots or do not find
# the "@" key: "anna at gmail dot com", «ivan собака mail точка ru», « jean arobase orange point fr »
# (and "sobaka"/"tochka" in translit). A word for "@" between two address-like words, then one or
# more words for "." each followed by an address-like word, at the end of the message.
_WRITTEN_OUT = re.compile(
    r"[\w.+-]+\s+(?:at|собака|sobaka|arobase)\s+[\w-]+"
    r"(?:\s+(?:dot|точка|tochka|point)\s+[\w-]+)+\s*[.!?]?\s*$",
    re.IGNORECASE,
)
# Only the message's last characters are searched: the address ends it and is short, and the
# work per message stays bounded.
_WRITTEN_OUT_TAIL = 200


def written_out_address(text: str) -> bool:
    """True when `text` ends with an address written out in words ("anna at gmail dot com").

    Such an answer to "which address?" is an attempt at one, whatever intent the classifier
    reads in its words ("gmail" and "address" lean towards the rows about addresses).
    """
    return _WRITTEN_OUT.search(text[-_WRITTEN_OUT_TAIL:]) is not None


def check_address(typed: str) -> CheckedAddress:
    """Validates what the customer typed; finds a likely typo or a spaced-out address to ask about."""
    joined = spaced_address(typed)
    if joined:
        return CheckedAddress(address=None, typed=typed.strip(), suggestion=joined, spaced=True)
    candidate = find_address(typed) or typed.strip()
    address = _valid(candidate)
    if address is None:
        return CheckedAddress(address=None, typed=candidate)
    local, _, domain = address.rpartition("@")
    suggestion = suggest_domain(domain)
    return CheckedAddress(
        address=address,
        typed=candidate,
        suggestion=f"{local}@{suggestion}" if suggestion else None,
    )

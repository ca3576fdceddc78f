"""The registration rules the Parallels support article describes.

- An address must be a syntactically valid email address. Deliverability is
  not checked (no DNS lookups): the service must answer quickly and offline.
- A password "widely used, which cannot protect your account" is refused. The
  judge is zxcvbn: its shipped list of real leaked passwords, and its score
  for everything else (keyboard walks, dates, dictionary words with digits).
- A deleted address cannot be reused for a number of days, "until we make sure
  all data has been removed from all Parallels services".

Pure functions only, so the API, the reset page and the tests share one truth.
"""

import math
import re
from datetime import datetime, timedelta
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email
from zxcvbn import zxcvbn

# zxcvbn refuses longer input; the first 72 characters decide its score.
_ZXCVBN_MAX_LENGTH = 72
# zxcvbn scores 0-4; 0 and 1 are "too guessable" and "very guessable".
MIN_PASSWORD_SCORE = 2


class InvalidEmail(ValueError):
    """The text is not an email address."""


def canonical_email(address: str) -> str:
    """The one spelling of `address` under which an account is stored.

    Case is folded so "Anna@Mail.com" and "anna@mail.com" are one account, as
    customers expect; the domain is normalised (IDNA) by email-validator.
    """
    try:
        result = validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        raise InvalidEmail(address) from None
    return result.normalized.lower()


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    """zxcvbn's published list of the most used passwords, lower-cased as it ships."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def password_too_common(password: str, email: str | None = None) -> bool:
    """Whether `password` is one the article's "too common" error would refuse.

    The address, its local part without punctuation and that part's words are
    given to zxcvbn as user inputs, so a password made of the customer's own address scores as weak.
    """
    if password.lower() in _common_passwords():
        return True
    user_inputs: list[str] = []
    if email:
        words = re.split(r"[^a-z0-9]+", email.split("@")[0].lower())
        user_inputs = [email, "".join(words), *words]
    score = zxcvbn(password[:_ZXCVBN_MAX_LENGTH], user_inputs=user_inputs)["score"]
    return score < MIN_PASSWORD_SCORE


def cooldown_days_left(deleted_at: datetime, now: datetime, cooldown_days: int) -> int:
    """Whole days, rounded up, before a deleted address may be registered again (0 when free)."""
    remaining = deleted_at + timedelta(days=cooldown_days) - now
    if remaining <= timedelta(0):
        return 0
    return math.ceil(remaining / timedelta(days=1))

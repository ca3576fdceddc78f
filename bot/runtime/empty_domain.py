"""`Domain.is_empty` comparing with an empty domain built once.

Rasa's processor asks `domain.is_empty()` at every turn (`_check_for_unseen_features`), and Rasa
answers by building a whole new empty `Domain` (`Domain.from_dict({})`: default slots, actions,
session config) to compare dictionaries with: 0.2 ms of CPU a turn, 3% of a worker's. The
comparison is the same, with the empty domain's dictionary built once per process.
"""

from functools import cache
from typing import Any

from rasa.shared.core.domain import Domain

from bot.runtime.replace import replace_method


@cache
def _empty() -> dict[str, Any]:
    """`Domain.empty().as_dict()`, built on first use (Rasa never changes it)."""
    return Domain.empty().as_dict()


def is_empty(self: Domain) -> bool:
    """Check whether the domain is empty."""
    return self.as_dict() == _empty()


def install() -> None:
    """Replaces `Domain.is_empty`; fails at start if Rasa no longer has it."""
    replace_method(Domain, "is_empty", is_empty)

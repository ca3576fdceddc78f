"""bot.runtime.empty_domain: the same verdicts as Rasa's `Domain.is_empty`."""

from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain

from bot.runtime import empty_domain

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def pristine_rasa(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Domain, "is_empty", Domain.is_empty)


def test_the_verdicts_are_rasas() -> None:
    domains = [Domain.empty(), Domain.from_dict({}), Domain.load(str(ROOT / "domain.yml"))]
    domains.append(Domain.from_dict({"intents": ["greet"]}))
    rasas = [domain.is_empty() for domain in domains]
    empty_domain.install()
    assert [domain.is_empty() for domain in domains] == rasas == [True, True, False, False]


def test_a_rasa_without_the_method_stops_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(Domain, "is_empty")
    with pytest.raises(RuntimeError, match=r"Domain\.is_empty is gone"):
        empty_domain.install()

"""bot.runtime.frozen_heap: loading the agent freezes the heap once, and garbage made later is
still collected."""

import asyncio
import gc
from collections.abc import Iterator

import pytest
from rasa.core import run as rasa_run

from bot.runtime import frozen_heap


@pytest.fixture(autouse=True)
def pristine(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(rasa_run, "load_agent_on_start", rasa_run.load_agent_on_start)
    yield
    gc.unfreeze()


def test_loading_the_agent_freezes_the_heap_once(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = object()

    async def load_agent_on_start(*args: object) -> object:
        return loaded

    rasa_run.load_agent_on_start = load_agent_on_start
    frozen_heap.install()
    frozen_heap.install()  # twice: wrapped once
    freezes: list[bool] = []
    monkeypatch.setattr(frozen_heap, "freeze", lambda: freezes.append(True) or 0)
    assert asyncio.run(rasa_run.load_agent_on_start("model", None, None, None, None)) is loaded
    assert freezes == [True]


def test_what_exists_is_frozen_and_later_garbage_is_collected() -> None:
    gc.unfreeze()
    assert frozen_heap.freeze() > 1000

    class Cycle:
        pass

    garbage = Cycle()
    garbage.itself = garbage  # type: ignore[attr-defined]
    del garbage
    assert gc.collect() >= 1  # a cycle made after the freeze is still found


def test_a_rasa_without_the_loader_stops_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(rasa_run, "load_agent_on_start")
    with pytest.raises(RuntimeError, match="load_agent_on_start is gone"):
        frozen_heap.install()

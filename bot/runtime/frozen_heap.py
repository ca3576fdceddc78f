"""The objects of a loaded server kept out of the garbage collector's full passes.

After TensorFlow, Rasa and the model are loaded, a worker holds about 435,000 objects the
cyclic garbage collector tracks, nearly all of them alive for as long as the process. Each
full collection (Python starts one whenever enough new objects have survived the younger
generations, every few seconds under load) walks all of them: 100-190 ms on this machine, during
which the event loop answers nobody. So once the agent is loaded, the heap is collected one last
time and frozen (`gc.freeze`, Python's own way to move every object it tracks to a permanent
generation): later full collections walk only what the conversations created since. Nothing
else changes: garbage created later is collected as before; objects frozen are the server's own
(modules, the model), which live as long as the process anyway. One cost: a model replaced
through the HTTP API (`PUT /model`) leaves whatever of the old one only the cyclic collector
would free in memory (reference counting still frees the rest); this project starts a new
server for a new model.
"""

import gc
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core import run as rasa_run

from bot.runtime.replace import wrap_method

logger = logging.getLogger(__name__)


def freeze() -> int:
    """Collects once, then freezes every object tracked so far; returns how many."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def freezing_after(load: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """Rasa's `load_agent_on_start`, then the heap frozen."""

    async def load_agent_then_freeze(*args: Any, **kwargs: Any) -> Any:
        agent = await load(*args, **kwargs)
        logger.debug("Froze %d objects of the loaded server.", freeze())
        return agent

    return load_agent_then_freeze


def install() -> None:
    """Wraps Rasa's agent loading at server start (once per process)."""
    wrap_method(rasa_run, "load_agent_on_start", freezing_after)

"""Rasa's request size limit equal to the connectors'.

Sanic accepts bodies up to 100 MB by default, and the connectors refuse bodies over
CONNECTOR_MAX_BODY_BYTES (1 MiB) only once they were read. The app's REQUEST_MAX_SIZE is set
to that limit, so Sanic answers 413 while reading, for every route (the HTTP API's too: this
project never uploads models through it). `rasa.core.run.configure_app` is wrapped through
`wrap_method`, so a Rasa without it fails at start.
"""

from collections.abc import Callable
from typing import Any

from rasa.core import run as rasa_run

from bot.runtime.replace import wrap_method


def limited(configure: Callable[..., Any]) -> Callable[..., Any]:
    """`rasa.core.run.configure_app` whose app refuses bodies over the connectors' limit."""

    def configure_limited(*args: Any, **kwargs: Any) -> Any:
        from connectors.webhook import Limits

        app = configure(*args, **kwargs)
        app.config.REQUEST_MAX_SIZE = Limits.from_env().max_body_bytes
        return app

    return configure_limited


def install() -> None:
    """Wraps Rasa's app factory (once per process)."""
    wrap_method(rasa_run, "configure_app", limited)

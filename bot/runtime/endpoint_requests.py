"""Rasa's requests to its endpoints (the action server's calls): one kept-alive session per
endpoint, JSON bodies encoded with ujson.

**Connections kept.** Rasa's `EndpointConfig.request` opens a new `aiohttp.ClientSession`, and so
a new TCP connection, for every call, and closes both when the answer is in: each custom action
and each form validation paid for a connection set-up and tear-down on both sides. Here
`EndpointConfig.session` lends each endpoint one session per event loop, whose connections stay
open between calls for KEEPALIVE_SECONDS. That is shorter than the 5 seconds Sanic (the action
server's HTTP server) keeps an idle connection open, so it is always this side that gives up an
idle connection, never a request that goes out on a connection the server is closing. The kept
sessions are closed when the server stops (Rasa's `close_resources`, wrapped).

**JSON bodies by ujson.** Every call to the action server carries the conversation's whole
tracker: every event of the session, as JSON. At turn 80 of one conversation that is about 5,000
events and 0.85 MB, which the standard library encodes in 9.4 ms on this machine, on the event
loop, for each custom action; ujson (already installed: Sanic's dependency) takes 4.2 ms. The body
decodes to the same values (tests/bot/runtime/test_endpoint_requests.py); characters beyond ASCII
are written as UTF-8 rather than `\\u` escapes (aiohttp sends the body as UTF-8 either way). A
value ujson cannot encode (an integer beyond 64 bits, say) is encoded by `json` as before.
"""

import asyncio
import json
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

import aiohttp
import ujson
from rasa.core import run as rasa_run
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.utils.endpoints import EndpointConfig

from bot.runtime.replace import replace_method, wrap_method

KEEPALIVE_SECONDS = 4.0  # below Sanic's default KEEP_ALIVE_TIMEOUT of 5 s (the action server)
_KEPT = "_kept_session"  # attribute of an EndpointConfig: (event loop, its session)
_open_sessions: dict[aiohttp.ClientSession, asyncio.AbstractEventLoop] = {}


def dumps(value: Any) -> str:
    """`value` as JSON: ujson, or the standard library for what ujson refuses."""
    try:
        return ujson.dumps(value, ensure_ascii=False, escape_forward_slashes=False)
    except (TypeError, OverflowError, ValueError):
        return json.dumps(value)


def new_session(endpoint: EndpointConfig) -> aiohttp.ClientSession:
    """A session as Rasa makes it (headers, basic auth, timeout), with `dumps`, whose idle
    connections are kept KEEPALIVE_SECONDS."""
    auth = (
        aiohttp.BasicAuth(endpoint.basic_auth["username"], endpoint.basic_auth["password"])
        if endpoint.basic_auth
        else None
    )
    return aiohttp.ClientSession(
        headers=endpoint.headers,
        auth=auth,
        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        json_serialize=dumps,
        # No cap on connections (aiohttp's default is 100): Rasa's session per call had none.
        connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS, limit=0),
    )


class _Lent:
    """`async with` gives the endpoint's kept session and leaves it open afterwards (Rasa's
    `request` closes the session it gets at the end of its `async with`)."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        return None


def session(self: EndpointConfig) -> _Lent:
    """`EndpointConfig.session`: the endpoint's session for the running event loop, lent (Rasa
    calls it only inside one: an aiohttp session needs one)."""
    loop = asyncio.get_running_loop()
    kept = getattr(self, _KEPT, None)
    if kept is None or kept[0] is not loop or kept[1].closed:
        kept = (loop, new_session(self))
        setattr(self, _KEPT, kept)
        _open_sessions[kept[1]] = loop
    return _Lent(kept[1])


async def close_kept_sessions() -> None:
    """Closes the sessions kept on the running event loop."""
    loop = asyncio.get_running_loop()
    for kept in [s for s, its_loop in _open_sessions.items() if s.closed or its_loop is loop]:
        del _open_sessions[kept]
        await kept.close()


def closing_kept_sessions(
    close_resources: Callable[..., Awaitable[None]],
) -> Callable[..., Awaitable[None]]:
    """Rasa's `close_resources` (run when the server stops), then the kept sessions closed."""

    async def close_resources_and_sessions(*args: Any, **kwargs: Any) -> None:
        try:
            await close_resources(*args, **kwargs)
        finally:
            await close_kept_sessions()

    return close_resources_and_sessions


def install() -> None:
    """Rasa's endpoint requests on kept sessions with `dumps` (once per process)."""
    replace_method(EndpointConfig, "session", session)
    wrap_method(rasa_run, "close_resources", closing_kept_sessions)

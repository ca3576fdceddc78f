"""Rasa's JSON request bodies (the action server's calls) encoded with ujson instead of `json`.

Every call to the action server carries the conversation's whole tracker: every event of the
session, as JSON. At turn 80 of one conversation that is about 5,000 events and 0.85 MB, which the
standard library encodes in 9.4 ms on this machine, on the event loop, for each custom action;
ujson (already installed: Sanic's dependency) takes 4.2 ms, and the long-conversation profile of
`make bench` put that payload at the top of what grows with a conversation's length.

The body decodes to the same values (tests/bot/runtime/test_json_bodies.py); characters beyond
ASCII are written as UTF-8 rather than `\\u` escapes (aiohttp sends the body as UTF-8 either
way). A value ujson cannot encode (an integer beyond 64 bits, say) is encoded by `json` as before.
"""

import json
from typing import Any

import aiohttp
import ujson
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.utils.endpoints import EndpointConfig

from bot.runtime.replace import replace_method


def dumps(value: Any) -> str:
    """`value` as JSON: ujson, or the standard library for what ujson refuses."""
    try:
        return ujson.dumps(value, ensure_ascii=False, escape_forward_slashes=False)
    except (TypeError, OverflowError, ValueError):
        return json.dumps(value)


def session(self: EndpointConfig) -> aiohttp.ClientSession:
    """`EndpointConfig.session` as Rasa makes it (headers, basic auth, timeout), with `dumps`."""
    auth = (
        aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
        if self.basic_auth
        else None
    )
    return aiohttp.ClientSession(
        headers=self.headers,
        auth=auth,
        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        json_serialize=dumps,
    )


def install() -> None:
    """Rasa's endpoint sessions encode their JSON bodies with `dumps`."""
    replace_method(EndpointConfig, "session", session)

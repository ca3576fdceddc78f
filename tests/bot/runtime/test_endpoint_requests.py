"""bot.runtime.endpoint_requests: the action server gets the same values, encoded by ujson, on
kept connections that the server's stop closes."""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from types import SimpleNamespace

import pytest
from aiohttp import web
from rasa.core import run as rasa_run
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa.utils.endpoints import EndpointConfig

from bot.runtime import endpoint_requests


@pytest.fixture(autouse=True)
def pristine_rasa(monkeypatch) -> None:
    monkeypatch.setattr(EndpointConfig, "session", EndpointConfig.session)
    monkeypatch.setattr(rasa_run, "close_resources", rasa_run.close_resources)


def tracker_state() -> dict:
    events = [ActionExecuted("action_listen")]
    for text in ("я не помню пароль", "j'ai oublié mon mot de passe", 'a "quoted" \\ back/slash'):
        events += [
            UserUttered(text, {"name": "forgot_password", "confidence": 0.987654321}, [], {"text": text}),
            SlotSet("language", "ru"),
            BotUttered(
                "https://my.parallels.com/ «ссылка»", {"buttons": [{"title": "Да", "payload": "/affirm"}]}
            ),
            ActionExecuted("action_listen"),
        ]
    return DialogueStateTracker.from_events("c", events).current_state(EventVerbosity.ALL)


def test_bodies_decode_to_the_same_values_as_the_standard_librarys() -> None:
    state = tracker_state()
    assert json.loads(endpoint_requests.dumps(state)) == json.loads(json.dumps(state)) == state
    huge = {"n": 2**70}  # beyond ujson's integers: the standard library encodes it
    assert json.loads(endpoint_requests.dumps(huge)) == huge


@contextlib.asynccontextmanager
async def action_server(
    port: int, handler: Callable[[web.Request], Awaitable[web.Response]]
) -> AsyncIterator[None]:
    """A stand-in action server on `port` whose /webhook answers with `handler`."""
    app = web.Application()
    app.router.add_post("/webhook", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield
    finally:
        await runner.cleanup()


def test_rasas_endpoint_requests_send_them(unused_tcp_port: int) -> None:
    received: list[dict] = []
    state = tracker_state()

    async def handler(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.json_response({"events": []})

    async def call() -> None:
        async with action_server(unused_tcp_port, handler):
            endpoint = EndpointConfig(f"http://127.0.0.1:{unused_tcp_port}/webhook", headers={"X-Test": "1"})
            assert await endpoint.request(json=state, method="post") == {"events": []}
            await endpoint_requests.close_kept_sessions()

    endpoint_requests.install()
    asyncio.run(call())
    assert received == [state]


def test_calls_reuse_one_connection_and_stopping_closes_it(unused_tcp_port: int) -> None:
    peers: list[int] = []

    async def handler(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername")[1])  # the client's port
        return web.json_response({"events": []})

    async def call() -> None:
        async with action_server(unused_tcp_port, handler):
            endpoint = EndpointConfig(f"http://127.0.0.1:{unused_tcp_port}/webhook")
            for _ in range(3):
                assert await endpoint.request(json={"n": 1}, method="post") == {"events": []}
            lent = endpoint.session()
            async with lent as session:
                assert not session.closed
            assert not session.closed  # lent, not closed after `async with`
            await rasa_run.close_resources(SimpleNamespace(ctx=SimpleNamespace()), None)
            assert session.closed
            assert await endpoint.request(json={"n": 2}, method="post") == {"events": []}  # a new one
            await endpoint_requests.close_kept_sessions()

    endpoint_requests.install()
    endpoint_requests.install()  # twice: close_resources is wrapped once
    asyncio.run(call())
    assert len(peers) == 4 and len(set(peers[:3])) == 1 and peers[3] != peers[0]


def test_idle_connections_are_given_up_before_the_action_servers_keep_alive_ends() -> None:
    from sanic.config import DEFAULT_CONFIG

    assert endpoint_requests.KEEPALIVE_SECONDS < DEFAULT_CONFIG["KEEP_ALIVE_TIMEOUT"]

"""bot.runtime.json_bodies: the action server gets the same values, encoded by ujson."""

import asyncio
import json

import pytest
from aiohttp import web
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa.utils.endpoints import EndpointConfig

from bot.runtime import json_bodies


@pytest.fixture(autouse=True)
def pristine_rasa(monkeypatch) -> None:
    monkeypatch.setattr(EndpointConfig, "session", EndpointConfig.session)


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
    assert json.loads(json_bodies.dumps(state)) == json.loads(json.dumps(state)) == state
    huge = {"n": 2**70}  # beyond ujson's integers: the standard library encodes it
    assert json.loads(json_bodies.dumps(huge)) == huge


def test_rasas_endpoint_requests_send_them(unused_tcp_port: int) -> None:
    received: list[dict] = []
    state = tracker_state()

    async def handler(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.json_response({"events": []})

    async def call() -> None:
        app = web.Application()
        app.router.add_post("/webhook", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", unused_tcp_port).start()
        try:
            endpoint = EndpointConfig(f"http://127.0.0.1:{unused_tcp_port}/webhook", headers={"X-Test": "1"})
            assert await endpoint.request(json=state, method="post") == {"events": []}
        finally:
            await runner.cleanup()

    json_bodies.install()
    asyncio.run(call())
    assert received == [state]

"""Fake Messenger Graph, X and Telegram Bot APIs on loopback, and the platforms' signatures.

The fakes speak each platform's documented wire format (/work/shared/platforms.md) and record
what they receive, so that a test asserts what Messenger, X or Telegram would get from the
real library clients the connectors drive. Used by tests/connectors and by the console's
browser tests (an agent's reply reaching a platform).
"""

import asyncio
import base64
import hashlib
import hmac
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from support import wait_for

WAIT_SECONDS = 15.0
# Platform requests arrive within milliseconds of a turn: poll often.
POLL_SECONDS = 0.05

SECRETS = {
    "MESSENGER_PAGE_ACCESS_TOKEN": "EAAtestPageAccessToken0123456789",
    "MESSENGER_APP_SECRET": "messenger-app-secret-0123456789",
    "MESSENGER_VERIFY_TOKEN": "messenger-verify-token-42",
    "TWITTER_CONSUMER_KEY": "twitter-consumer-key-0123",
    "TWITTER_CONSUMER_SECRET": "twitter-consumer-secret-0123456789",
    "TWITTER_ACCESS_TOKEN": "1111-twitter-access-token-0123",
    "TWITTER_ACCESS_TOKEN_SECRET": "twitter-access-token-secret-0123",
    "TELEGRAM_BOT_TOKEN": "123456789:AAtelegramBotToken_0123456789",
    "TELEGRAM_WEBHOOK_SECRET": "telegram-webhook-secret_0123",
    "REST_CHANNEL_TOKEN": "rest-channel-token-0123456789",
}


def messenger_signature(body: bytes, secret: str = SECRETS["MESSENGER_APP_SECRET"]) -> str:
    """What Meta puts in X-Hub-Signature-256 (computed here independently of the connector)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def twitter_signature(body: bytes, secret: str = SECRETS["TWITTER_CONSUMER_SECRET"]) -> str:
    """What X puts in x-twitter-webhooks-signature."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


@dataclass
class Recorder:
    """Requests a fake platform received, readable from the test thread."""

    records: list[dict[str, Any]] = field(default_factory=list)
    delays: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, record: dict[str, Any]) -> float:
        """Stores a request; returns how long the fake should stall before answering."""
        with self.lock:
            self.records.append(record)
            return self.delays.pop(0) if self.delays else 0.0

    def matching(self, predicate: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        """A snapshot of the records `predicate` accepts."""
        with self.lock:
            return [record for record in self.records if predicate(record)]

    def wait_for(
        self,
        predicate: Callable[[dict[str, Any]], bool],
        count: int = 1,
        timeout: float = WAIT_SECONDS,
    ) -> list[dict[str, Any]]:
        """Waits until at least `count` records match; returns them."""
        return wait_for(
            lambda: (found := self.matching(predicate)) and len(found) >= count and found,
            timeout,
            POLL_SECONDS,
            f"{count} matching platform request(s)",
        )


class FakePlatforms:
    """Graph API, X API and Telegram Bot API fakes, each its own aiohttp app and port."""

    def __init__(self) -> None:
        self.graph = Recorder()
        # The User Profile API: the answer per PSID (a dict of Graph's documented fields, of which
        # the requested ones are sent; any other JSON value is sent as it is), and the lookups made.
        self.profiles: dict[str, Any] = {}
        self.profile_lookups = Recorder()
        self.twitter = Recorder()
        self.telegram = Recorder()
        self.ports: dict[str, int] = {}
        self._loop = asyncio.new_event_loop()
        self._runners: list[web.AppRunner] = []
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def start(self) -> None:
        """Starts the three servers on free loopback ports in a background thread."""
        self._thread.start()
        for name, app in (
            ("graph", self._graph_app()),
            ("twitter", self._twitter_app()),
            ("telegram", self._telegram_app()),
        ):
            future = asyncio.run_coroutine_threadsafe(self._serve(app), self._loop)
            self.ports[name] = future.result(timeout=10)

    def stop(self) -> None:
        """Stops the servers and the loop."""
        for runner in self._runners:
            asyncio.run_coroutine_threadsafe(runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    async def _serve(self, app: web.Application) -> int:
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runners.append(runner)
        return runner.addresses[0][1]

    def _graph_app(self) -> web.Application:
        async def messages(request: web.Request) -> web.Response:
            body = await request.json()
            delay = self.graph.add(
                {
                    "path": request.path,
                    "query": dict(request.query),
                    "json": body,
                    "time": time.monotonic(),
                }
            )
            await asyncio.sleep(delay)
            recipient = body.get("recipient", {}).get("id")
            return web.json_response({"recipient_id": recipient, "message_id": "m_fake"})

        async def profile(request: web.Request) -> web.Response:
            psid = request.match_info["psid"]
            delay = self.profile_lookups.add(
                {"path": request.path, "query": dict(request.query), "psid": psid, "time": time.monotonic()}
            )
            await asyncio.sleep(delay)
            proof = hmac.new(
                SECRETS["MESSENGER_APP_SECRET"].encode(),
                SECRETS["MESSENGER_PAGE_ACCESS_TOKEN"].encode(),
                hashlib.sha256,
            ).hexdigest()
            if (request.query.get("access_token"), request.query.get("appsecret_proof")) != (
                SECRETS["MESSENGER_PAGE_ACCESS_TOKEN"],
                proof,
            ):
                return _graph_error(190, "OAuthException", "Invalid OAuth access token.")
            if psid not in self.profiles:
                return _graph_error(100, "GraphMethodException", "Unsupported get request.", subcode=33)
            fields = request.query.get("fields", "").split(",")
            answer = self.profiles[psid]
            if isinstance(answer, dict):
                answer = {"id": psid, **{key: value for key, value in answer.items() if key in fields}}
            return web.json_response(answer)

        app = web.Application()
        app.router.add_post("/{version}/me/messages", messages)
        app.router.add_get("/{version}/{psid}", profile)
        return app

    def _twitter_app(self) -> web.Application:
        async def v2_message(request: web.Request) -> web.Response:
            body = await request.json()
            self.twitter.add(
                {
                    "api": "v2",
                    "path": request.path,
                    "participant_id": request.match_info["participant_id"],
                    "authorization": request.headers.get("Authorization", ""),
                    "json": body,
                }
            )
            return web.json_response(
                {"data": {"dm_conversation_id": "1-2", "dm_event_id": "1580"}}, status=201
            )

        async def v1_message(request: web.Request) -> web.Response:
            body = await request.json()
            self.twitter.add(
                {
                    "api": "v1.1",
                    "path": request.path,
                    "authorization": request.headers.get("Authorization", ""),
                    "json": body,
                }
            )
            event = dict(body["event"], id="1581", created_timestamp="1517359429301")
            return web.json_response({"event": event})

        app = web.Application()
        app.router.add_post("/2/dm_conversations/with/{participant_id}/messages", v2_message)
        app.router.add_post("/1.1/direct_messages/events/new.json", v1_message)
        return app

    def _telegram_app(self) -> web.Application:
        async def method(request: web.Request) -> web.Response:
            if request.content_type == "application/json":
                fields = await request.json()
            else:
                fields = dict(await request.post())
            name = request.match_info["method"]
            self.telegram.add({"token": request.match_info["token"], "method": name, "fields": fields})
            if name == "sendMessage":
                result: Any = {
                    "message_id": len(self.telegram.records),
                    "date": int(time.time()),
                    "chat": {"id": int(fields["chat_id"]), "type": "private"},
                    "text": fields.get("text", ""),
                }
            else:
                result = True
            return web.json_response({"ok": True, "result": result})

        app = web.Application()
        app.router.add_post("/bot{token}/{method}", method)
        return app


def _graph_error(code: int, kind: str, message: str, subcode: int | None = None) -> web.Response:
    """A Graph API error answer in its documented shape (HTTP 400)."""
    error: dict[str, Any] = {"message": message, "type": kind, "code": code, "fbtrace_id": "AbCdEfGh"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return web.json_response({"error": error}, status=400)

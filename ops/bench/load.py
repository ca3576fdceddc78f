"""A closed-loop load generator over Rasa's REST webhook.

Closed loop: each of `concurrency` virtual customers sends a turn, waits for the whole reply,
then sends the next, as people in a chat do; throughput is what the server sustains, not what
we push. Every turn is kept (sent text, status, latency) so that stored transcripts can be
checked against what was really said.
"""

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import aiohttp

from ops.bench.scenarios import Conversation

TURN_TIMEOUT_SECONDS = 60


@dataclass
class Turn:
    """One message and what became of it."""

    text: str
    status: int  # HTTP status, 0 when no answer came
    seconds: float
    replies: int
    started: float = 0.0  # time.monotonic() when it was sent

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.replies > 0


@dataclass
class LoadResult:
    """Every turn of a run, per conversation, and the run's wall time."""

    turns: dict[str, list[Turn]] = field(default_factory=dict)
    seconds: float = 0.0

    def all_turns(self) -> list[Turn]:
        return [t for turns in self.turns.values() for t in turns]


async def _say(session: aiohttp.ClientSession, url: str, sender: str, text: str) -> Turn:
    sent_at = time.monotonic()
    started = time.perf_counter()
    try:
        async with session.post(url, json={"sender": sender, "message": text}) as response:
            body = await response.json(content_type=None) if response.status == 200 else None
            status = response.status
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
        body, status = None, 0
    replies = len(body) if isinstance(body, list) else 0
    return Turn(text, status, time.perf_counter() - started, replies, sent_at)


async def play(url: str, conversations: Sequence[Conversation], concurrency: int) -> LoadResult:
    """Plays `conversations` with `concurrency` customers at a time."""
    result = LoadResult()
    queue: asyncio.Queue = asyncio.Queue()
    for conversation in conversations:
        queue.put_nowait(conversation)
    timeout = aiohttp.ClientTimeout(total=TURN_TIMEOUT_SECONDS)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:

        async def customer() -> None:
            while not queue.empty():
                conversation = queue.get_nowait()
                turns = result.turns.setdefault(conversation.sender, [])
                for text in conversation.turns:
                    turns.append(await _say(session, url, conversation.sender, text))

        started = time.perf_counter()
        await asyncio.gather(*(customer() for _ in range(concurrency)))
        result.seconds = time.perf_counter() - started
    return result


async def repeat_until(url: str, sender: str, text: str, done: asyncio.Event) -> list[Turn]:
    """One customer sending `text` again and again, each time once the previous answer came,
    until `done` is set (the hostile customer of the bench: a 1 MB message after another).

    Each message starts with its number, so that no two are the same text and nothing the
    assistant remembers of one (a redaction's spans) makes the next cheaper."""
    turns: list[Turn] = []
    timeout = aiohttp.ClientTimeout(total=TURN_TIMEOUT_SECONDS)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        while not done.is_set():
            turns.append(await _say(session, url, sender, f"{len(turns) + 1} {text}"))
    return turns


async def say_once(url: str, sender: str, text: str) -> Turn:
    """A single turn, outside any load (checking that a conversation still works)."""
    timeout = aiohttp.ClientTimeout(total=TURN_TIMEOUT_SECONDS)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        return await _say(session, url, sender, text)

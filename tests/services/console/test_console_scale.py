"""The conversation list stays cheap at 100,000 conversations, whatever the filter or page.

Cost is counted, not timed (timings belong to `make bench`, whose console row gives them): SQLite
calls a progress handler every few virtual-machine instructions, and the count of instructions a
page's queries execute does not depend on the machine's load. A filter served by its index reads
about one page of rows; a filter without one would read all 100,000.
"""

import random
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, event, insert
from sqlalchemy.pool import NullPool

from bot.languages import LANGUAGES
from services.console.queries import Filters, conversation_page
from services.console.schema import conversation_intents, summaries

CONVERSATIONS = 100_000
STEP = 100  # instructions between two calls of the progress handler
# Measured: 3,100-5,700 instructions for a page read through an index; a rare intent or a text
# search reads every conversation once (5-13 instructions each). A full scan for an indexed
# filter would cost 500,000 or more.
INDEXED_PAGE_STEPS = 20_000
SCAN_STEPS_PER_CONVERSATION = 20
INTENTS = [
    "forgot_password",
    "login_invalid_credentials",
    "lost_email_access",
    "greet",
    "affirm",
    "reset_email_not_received",
    "request_human",
    "nlu_fallback",
]


@pytest.fixture(scope="module")
def crowded(bare):
    """This module's console, its summaries holding 100,000 conversations (one of them rare)."""
    rng = random.Random(7)
    rows, intents = [], []
    now = time.time()
    for n in range(CONVERSATIONS):
        cid = f"load-{n:06d}"
        language, channel = (
            rng.choice(LANGUAGES),
            rng.choice(["rest", "telegram", "messenger", "twitter"]),
        )
        rows.append(
            {
                "conversation_id": cid,
                "channel": channel,
                "language": language,
                "started_at": now - (CONVERSATIONS - n) * 60,
                "last_activity": now - (CONVERSATIONS - n) * 60 + 30,
                "last_event_id": (n + 1) * 10,
                "user_messages": 3,
                "fallbacks": int(n % 7 == 0),
                "low_confidence": n % 5 == 0,
                "outcome": rng.choice(["resolved", "handed_off", "abandoned", "fallback"]),
                "handoff_state": "",
                "reviewed": False,
                "search_text": f"customer {n} says i forgot my password\n",
            }
        )
        intents += [{"conversation_id": cid, "intent": i} for i in rng.sample(INTENTS[:-1], 2)]
    rows[500]["search_text"] += "zebra-unique-phrase\n"
    intents.append({"conversation_id": rows[500]["conversation_id"], "intent": "nlu_fallback"})
    engine = create_engine(bare.console.env["CONSOLE_DB_URL"])
    with engine.begin() as connection:
        connection.execute(insert(summaries), rows)
        connection.execute(insert(conversation_intents), intents)
    return bare


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"language": "ru"},
        {"channel": "telegram", "low_confidence": "yes"},
        {"outcome": "handed_off", "language": "fr"},
        {"intent": "request_human"},
        {"intent": "nlu_fallback"},  # one conversation in 100,000, far down the list
        {"q": "zebra-unique-phrase"},  # a text search over every conversation
        {"before": "5000"},  # a page deep in the past
    ],
    ids=lambda p: ",".join(p) or "newest",
)
def test_a_list_page_is_cheap_at_100000_conversations(crowded, params) -> None:
    with crowded.console.signed_in("agent1") as client:
        response = client.get("/conversations", params=params)
    assert response.status_code == 200
    listed = re.findall(r'conversation\?id=(load-\d+)"', response.text)
    scans = params.get("intent") == "nlu_fallback" or "q" in params
    if scans:
        assert listed == ["load-000500"]
    else:
        assert len(listed) == 50
    filters = Filters.from_args({k: v for k, v in params.items() if k != "before"})
    before = int(params["before"]) if "before" in params else None
    with counted(crowded.console.env["CONSOLE_DB_URL"]) as steps:
        conversation_page(steps.engine, filters, 50, before)
    if scans:  # one conversation in 100,000 matches: one pass over the list, nothing per row more
        assert steps.count <= SCAN_STEPS_PER_CONVERSATION * CONVERSATIONS, steps.count
    else:  # read through the index: about one page, whatever the store's size
        assert steps.count <= INDEXED_PAGE_STEPS, steps.count


class _Steps:
    def __init__(self, url: str) -> None:
        self.count = 0
        self.engine = create_engine(url, poolclass=NullPool)
        event.listen(self.engine, "connect", self._watch)

    def _watch(self, dbapi_connection, record) -> None:
        dbapi_connection.set_progress_handler(self._tick, STEP)

    def _tick(self) -> int:
        self.count += STEP
        return 0  # 0: go on


@contextmanager
def counted(url: str) -> Iterator[_Steps]:
    """An engine on `url` whose SQLite instructions are counted in `.count`."""
    steps = _Steps(url)
    try:
        yield steps
    finally:
        steps.engine.dispose()

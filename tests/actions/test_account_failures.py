"""The actions when the account API is down, slow, failing or limiting: no traceback, nothing lost.

A real action server (`python -m rasa_sdk`) is called over HTTP the way Rasa
calls it, with its account API pointed at a scripted loopback server (500,
slow, 429) or at a port where nothing listens.
"""

import time
from collections.abc import Iterator
from typing import Any

import pytest
from action_calls import ROOT, actions_calling, call
from action_calls import slots_set as slots
from rasa.shared.core.domain import Domain
from support import free_port


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    return Domain.load(str(ROOT / "domain.yml")).as_dict()


@pytest.fixture
def action_server(scripted_server) -> Iterator[str]:
    with actions_calling(scripted_server.url) as url:
        yield url


@pytest.mark.parametrize("action", ["action_send_password_reset", "action_send_device_confirmation"])
def test_a_failing_service_is_reported_and_the_address_kept(
    action_server: str, scripted_server, domain, action: str
) -> None:
    scripted_server.status = 500
    answer = call(action_server, action, domain)
    assert slots(answer)["request_result"] == "unavailable"
    assert "email" not in slots(answer) or slots(answer)["email"]
    assert len(scripted_server.requests) == 3, "an idempotent call is retried"


def test_a_slow_service_times_out_cleanly(action_server: str, scripted_server, domain) -> None:
    scripted_server.status = 202
    scripted_server.delay = 3
    started = time.monotonic()
    answer = call(action_server, "action_send_password_reset", domain)
    assert slots(answer)["request_result"] == "unavailable"
    assert time.monotonic() - started < 10


def test_a_rate_limit_says_how_many_minutes(action_server: str, scripted_server, domain) -> None:
    scripted_server.status = 429
    scripted_server.body = b'{"error":"rate_limited","retry_after":1500}'
    scripted_server.headers = {"Retry-After": "1500"}
    answer = call(action_server, "action_send_password_reset", domain)
    assert slots(answer) == {"request_result": "rate_limited", "retry_minutes": "25", "email_confirmed": None}


def test_a_stopped_service_fails_the_ticket_politely(domain) -> None:
    with actions_calling(f"http://127.0.0.1:{free_port()}") as url:
        answer = call(url, "action_handoff", domain)
        assert slots(answer)["request_result"] == "ticket_failed"
        answer = call(url, "action_send_password_reset", domain)
        assert slots(answer)["request_result"] == "unavailable"

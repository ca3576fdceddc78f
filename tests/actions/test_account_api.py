"""actions.account_api against the real service, and against a scripted loopback server for failures."""

import hashlib
import logging
import time
import uuid
from collections.abc import Callable

import pytest

from actions.account_api import (
    AccountApiClient,
    AccountApiError,
    AccountApiUnavailable,
    InvalidEmail,
    RateLimited,
    mask_email,
)

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(30)]


def _client(service, **overrides) -> AccountApiClient:
    return AccountApiClient(**{"base_url": service.url, "token": service.token, "timeout": 5.0, **overrides})


async def test_a_reset_request_reaches_the_service(
    service, api, new_email: Callable, create_account: Callable, emails_to: Callable
) -> None:
    email = new_email()
    create_account(api, email)
    await _client(service).request_password_reset(email, idempotency_key=str(uuid.uuid4()))
    assert [sent["kind"] for sent in emails_to(api, email)] == ["password_reset"]


async def test_a_retried_confirmation_with_the_same_key_sends_one_email(
    service, api, new_email: Callable, create_account: Callable, emails_to: Callable
) -> None:
    email = new_email()
    create_account(api, email)
    client, key = _client(service), f"conv-1:{uuid.uuid4()}"
    await client.request_device_confirmation(email, idempotency_key=key)
    await client.request_device_confirmation(email, idempotency_key=key)
    assert len(emails_to(api, email, expected=2, wait=1.0)) == 1


async def test_a_ticket_is_opened_and_its_id_returned(service, api) -> None:
    ticket_id = await _client(service).open_support_ticket(
        topic="handoff", channel="messenger", conversation_id="messenger:42", language="fr", summary="Bonjour"
    )
    assert api.get(f"/v1/support-tickets/{ticket_id}").json()["channel"] == "messenger"


async def test_a_key_the_service_would_refuse_is_sent_as_its_sha256(scripted_server) -> None:
    # Sender ids may hold anything; the header must stay printable ASCII.
    scripted_server.status, scripted_server.body = 201, b'{"id":"ABCDEFGHIJ"}'
    key = "rest:José Ñ 1"
    await AccountApiClient(base_url=scripted_server.url, token="t").open_support_ticket(
        topic="t", channel="rest", conversation_id="c", language="en", summary="s", idempotency_key=key
    )
    assert scripted_server.requests[0]["idempotency-key"] == hashlib.sha256(key.encode()).hexdigest()


async def test_the_sixth_request_of_a_conversation_raises_rate_limited(service, new_email: Callable) -> None:
    client = AccountApiClient(service.url, service.token, conversation_id=f"rest:{uuid.uuid4()}")
    email = new_email()
    for _ in range(5):
        await client.request_password_reset(email, idempotency_key=str(uuid.uuid4()))
    with pytest.raises(RateLimited) as raised:
        await client.request_password_reset(email, idempotency_key=str(uuid.uuid4()))
    assert 3500 < raised.value.retry_after <= 3600


async def test_a_malformed_address_raises_invalid_email(service) -> None:
    with pytest.raises(InvalidEmail):
        await _client(service).request_password_reset("not an address", idempotency_key=str(uuid.uuid4()))


async def test_a_wrong_token_is_unavailable_without_showing_the_token(service, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "wrong-" + uuid.uuid4().hex
    with pytest.raises(AccountApiUnavailable) as raised:
        await _client(service, token=wrong).request_password_reset("anna@example.com", idempotency_key="k")
    assert "401" in raised.value.reason and "ACCOUNT_API_TOKEN" in raised.value.reason
    assert wrong not in caplog.text and wrong not in repr(raised.value)
    assert "anna@example.com" not in caplog.text and mask_email("anna@example.com") in caplog.text


async def test_a_missing_token_is_unavailable(service) -> None:
    with pytest.raises(AccountApiUnavailable, match="ACCOUNT_API_TOKEN is not set"):
        await AccountApiClient(base_url=service.url, env={}).request_password_reset("a@example.com", "k")


async def test_a_stopped_service_is_unavailable(free_url: str) -> None:
    with pytest.raises(AccountApiUnavailable) as raised:
        await AccountApiClient(base_url=free_url, token="t").request_password_reset("a@example.com", "k")
    assert "cannot reach" in raised.value.reason


async def test_a_slow_service_is_unavailable_after_the_timeout(scripted_server) -> None:
    scripted_server.delay, scripted_server.status = 2.0, 202
    client = AccountApiClient(base_url=scripted_server.url, token="t", timeout=0.3)
    started = time.monotonic()
    with pytest.raises(AccountApiUnavailable, match="did not answer"):
        await client.request_password_reset("a@example.com", idempotency_key="k")
    assert time.monotonic() - started < 1.5
    assert len(scripted_server.requests) == 1  # a read timeout is not retried


async def test_a_failing_service_is_retried_with_backoff_when_a_key_is_given(scripted_server) -> None:
    client = AccountApiClient(base_url=scripted_server.url, token="t", timeout=2.0)
    started = time.monotonic()
    with pytest.raises(AccountApiUnavailable, match="500"):
        await client.request_password_reset("a@example.com", idempotency_key="reset-1")
    assert len(scripted_server.requests) == 3
    assert time.monotonic() - started >= 0.6  # 0.2 s, then 0.4 s
    assert {request["idempotency-key"] for request in scripted_server.requests} == {"reset-1"}


async def test_a_failing_service_is_not_retried_without_a_key(scripted_server) -> None:
    client = AccountApiClient(base_url=scripted_server.url, token="t", timeout=2.0)
    with pytest.raises(AccountApiUnavailable, match="500"):
        await client.open_support_ticket(
            topic="t", channel="rest", conversation_id="c", language="en", summary="s"
        )
    assert len(scripted_server.requests) == 1
    assert "idempotency-key" not in scripted_server.requests[0]


async def test_a_recovering_service_succeeds_on_retry(scripted_server) -> None:
    client = AccountApiClient(base_url=scripted_server.url, token="t", timeout=2.0)
    scripted_server.statuses = [503, 201]
    scripted_server.body = b'{"id":"ABCDEFGHIJ"}'
    ticket_id = await client.open_support_ticket(
        topic="t", channel="rest", conversation_id="c", language="en", summary="s", idempotency_key="t-1"
    )
    assert ticket_id == "ABCDEFGHIJ" and len(scripted_server.requests) == 2


async def test_an_unexpected_refusal_is_an_account_api_error(scripted_server) -> None:
    scripted_server.status, scripted_server.body = 422, b'{"error":"idempotency_key_reused"}'
    client = AccountApiClient(base_url=scripted_server.url, token="t")
    with pytest.raises(AccountApiError) as raised:
        await client.request_password_reset("a@example.com", idempotency_key="k")
    assert type(raised.value) is AccountApiError

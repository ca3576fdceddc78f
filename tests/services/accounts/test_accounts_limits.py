"""Bearer auth, the per-conversation limit and the resend window, idempotency keys and malformed requests."""

import uuid
from collections.abc import Callable

import httpx
import pytest

pytestmark = pytest.mark.timeout(30)

RESET = "/v1/password-resets"
CONFIRM = "/v1/device-confirmations"

# One well-formed call per /v1 operation.
CALLS = [
    ("POST", "/v1/accounts", {"email": "auth@example.com", "password": "kX9#mq2!vLp-Tz4"}),
    ("DELETE", "/v1/accounts/auth@example.com", None),
    ("POST", RESET, {"email": "auth@example.com"}),
    ("POST", CONFIRM, {"email": "auth@example.com"}),
    (
        "POST",
        "/v1/support-tickets",
        {"topic": "t", "channel": "rest", "conversation_id": "c", "language": "en", "summary": "s"},
    ),
    ("GET", "/v1/support-tickets/AAAAAAAAAA", None),
    ("GET", "/v1/outbox?to=auth@example.com", None),
]


@pytest.mark.parametrize("method, path, body", CALLS, ids=[f"{m} {p}" for m, p, _ in CALLS])
@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer wrong-token",
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "{token}",
        "Bearer {token}x",
        "Bearer x{token}",
    ],
    ids=["none", "wrong", "basic", "empty", "no-scheme", "suffixed", "prefixed"],
)
def test_every_call_needs_the_bearer_token(service, method: str, path: str, body, authorization) -> None:
    headers = {} if authorization is None else {"Authorization": authorization.format(token=service.token)}
    response = httpx.request(method, service.url + path, json=body, headers=headers, timeout=10)
    assert response.status_code == 401
    assert response.json() == {"error": "unauthorized"}
    assert response.headers["www-authenticate"] == "Bearer"


def in_conversation(conversation: str) -> dict:
    return {"X-Conversation-Id": conversation}


@pytest.mark.parametrize("existing", [True, False], ids=["existing", "unknown"])
def test_a_conversation_asking_too_often_is_refused_with_retry_after(
    api, existing: bool, new_email: Callable, create_account: Callable
) -> None:
    email = new_email()
    if existing:
        create_account(api, email)
    conversation = in_conversation(f"rest:{uuid.uuid4()}")
    for _ in range(5):
        assert api.post(RESET, json={"email": email}, headers=conversation).status_code == 202
    refused = api.post(RESET, json={"email": email}, headers=conversation)
    assert refused.status_code == 429
    body = refused.json()
    assert body["error"] == "rate_limited" and set(body) == {"error", "retry_after"}
    assert 3500 < body["retry_after"] <= 3600
    assert refused.headers["retry-after"] == str(body["retry_after"])
    # Only that conversation: the same address asked from elsewhere is answered as usual.
    assert api.post(RESET, json={"email": email}, headers=in_conversation("other")).status_code == 202


def test_resets_and_confirmations_share_the_conversation_limit(api, new_email: Callable) -> None:
    conversation = in_conversation(f"rest:{uuid.uuid4()}")
    statuses = [
        api.post(path, json={"email": new_email()}, headers=conversation).status_code
        for path in (RESET, CONFIRM) * 3
    ]
    assert statuses == [202] * 5 + [429]


def test_repeats_inside_the_resend_window_are_answered_alike_and_send_nothing(
    api, new_email: Callable, create_account: Callable, emails_to: Callable
) -> None:
    email = new_email()
    create_account(api, email)
    answers = [api.post(RESET, json={"email": email}) for _ in range(6)]
    assert {answer.status_code for answer in answers} == {202}
    assert len({answer.content for answer in answers}) == 1
    assert len(emails_to(api, email, expected=2, wait=1.0)) == 1
    # Another kind is another email.
    api.post(CONFIRM, json={"email": email})
    assert [e["kind"] for e in emails_to(api, email, expected=2)] == ["password_reset", "device_confirmation"]


def test_a_repeated_idempotency_key_sends_nothing_twice_and_replays_the_answer(
    api, new_email: Callable, create_account: Callable, emails_to: Callable
) -> None:
    email = new_email()
    create_account(api, email)
    key = {"Idempotency-Key": f"reset-{uuid.uuid4()}"}
    answers = [api.post(RESET, json={"email": email}, headers=key) for _ in range(4)]
    assert {answer.status_code for answer in answers} == {202}
    assert len({answer.content for answer in answers}) == 1
    assert len(emails_to(api, email, expected=2, wait=1.0)) == 1
    # Replays are not new requests: a conversation replaying a key has used none of its five.
    conversation = in_conversation(f"rest:{uuid.uuid4()}")
    assert [
        api.post(RESET, json={"email": email}, headers={**key, **conversation}).status_code for _ in range(3)
    ] == [202, 202, 202]
    assert [api.post(RESET, json={"email": email}, headers=conversation).status_code for _ in range(6)] == [
        202
    ] * 5 + [429]


def test_a_reused_idempotency_key_with_another_body_is_refused(api, new_email: Callable) -> None:
    key = {"Idempotency-Key": f"k-{uuid.uuid4()}"}
    assert api.post(RESET, json={"email": new_email()}, headers=key).status_code == 202
    refused = api.post(RESET, json={"email": new_email()}, headers=key)
    assert refused.status_code == 422 and refused.json() == {"error": "idempotency_key_reused"}
    elsewhere = api.post(CONFIRM, json={"email": new_email()}, headers=key)
    assert elsewhere.json() == {"error": "idempotency_key_reused"}


def test_a_repeated_registration_with_its_key_replays_the_201(
    api, new_email: Callable, strong_password: str
) -> None:
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"email": new_email(), "password": strong_password}
    first, second = (api.post("/v1/accounts", json=body, headers=key) for _ in range(2))
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.content == second.content
    assert api.post("/v1/accounts", json=body).json() == {"error": "email_in_use"}


def test_a_refusal_is_not_remembered_under_its_key(api, new_email: Callable) -> None:
    email = new_email()
    conversation = in_conversation(f"rest:{uuid.uuid4()}")
    for _ in range(5):
        api.post(RESET, json={"email": email}, headers=conversation)
    key = {"Idempotency-Key": str(uuid.uuid4()), **conversation}
    assert api.post(RESET, json={"email": email}, headers=key).status_code == 429
    # Same key, same request: still evaluated anew, so still refused (not replayed as something else).
    assert api.post(RESET, json={"email": email}, headers=key).status_code == 429


MALFORMED = [
    b"",
    b"not json",
    b"[1, 2]",
    b'"a@example.com"',
    b"{}",
    b'{"email": 42}',
    b'{"email": null}',
    b'{"email": "a@example.com"',
    b"\xff\xfe",
]


@pytest.mark.parametrize("path", ["/v1/accounts", RESET, CONFIRM, "/v1/support-tickets"])
@pytest.mark.parametrize("body", MALFORMED)
def test_a_malformed_body_is_a_400_not_a_500(api, path: str, body: bytes) -> None:
    response = api.post(path, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request"}


@pytest.mark.parametrize(
    "body",
    [
        {"email": "a@example.com", "password": ""},
        {"email": "a@example.com", "password": "x" * 257},
        {"email": "a@example.com", "password": ["kX9#mq2!vLp"]},
        {"password": "kX9#mq2!vLp"},
    ],
    ids=["empty-password", "long-password", "list-password", "no-email"],
)
def test_a_registration_that_breaks_the_schema_is_a_400(api, body) -> None:
    assert api.post("/v1/accounts", json=body).status_code == 400


@pytest.mark.parametrize("key", ["has space", "x" * 256, "é"])
def test_a_malformed_idempotency_key_is_a_400(api, key: str, new_email: Callable) -> None:
    response = api.post(RESET, json={"email": new_email()}, headers={"Idempotency-Key": key.encode("utf-8")})
    assert response.status_code == 400 and response.json() == {"error": "invalid_request"}


def test_unknown_paths_and_methods_answer_json(api) -> None:
    missing = api.get("/v1/nothing-here")
    assert missing.status_code == 404 and missing.json() == {"error": "not_found"}
    wrong_method = api.put("/v1/password-resets", json={})
    assert wrong_method.status_code == 405 and wrong_method.json() == {"error": "method_not_allowed"}
    assert wrong_method.headers["allow"] == "POST"

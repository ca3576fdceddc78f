"""POST and GET /v1/support-tickets."""

import re
import uuid

import pytest

pytestmark = pytest.mark.timeout(30)


def _ticket(**overrides: str) -> dict:
    ticket = {
        "topic": "password_reset_email_missing",
        "channel": "telegram",
        "conversation_id": f"telegram:{uuid.uuid4().int % 10**9}",
        "language": "ru",
        "summary": "Письмо для сброса пароля не приходит.",
    }
    ticket.update(overrides)
    return ticket


def test_a_ticket_is_opened_and_can_be_read_back(api) -> None:
    sent = _ticket(email="Anna.K@Example.COM")
    created = api.post("/v1/support-tickets", json=sent)
    assert created.status_code == 201
    ticket_id = created.json()["id"]
    assert re.fullmatch(r"[A-Z0-9]{10}", ticket_id)
    read = api.get(f"/v1/support-tickets/{ticket_id}")
    assert read.status_code == 200
    ticket = read.json()
    assert ticket["id"] == ticket_id and ticket["email"] == "anna.k@example.com"
    assert {k: ticket[k] for k in ("topic", "channel", "conversation_id", "language", "summary")} == {
        k: sent[k] for k in ("topic", "channel", "conversation_id", "language", "summary")
    }


def test_the_address_is_optional(api) -> None:
    ticket_id = api.post("/v1/support-tickets", json=_ticket()).json()["id"]
    assert "email" not in api.get(f"/v1/support-tickets/{ticket_id}").json()


def test_a_password_in_the_summary_is_redacted_before_storage(service, api) -> None:
    secret = "Zx9!qLm2#Pw"
    ticket_id = api.post(
        "/v1/support-tickets", json=_ticket(language="en", summary=f"Customer wrote: my password is {secret}")
    ).json()["id"]
    summary = api.get(f"/v1/support-tickets/{ticket_id}").json()["summary"]
    assert secret not in summary and "[redacted: credential]" in summary
    assert secret.encode() not in service.database.read_bytes()


def test_a_malformed_address_is_refused(api) -> None:
    response = api.post("/v1/support-tickets", json=_ticket(email="anna at example"))
    assert response.status_code == 422 and response.json() == {"error": "invalid_email"}


@pytest.mark.parametrize(
    "overrides",
    [{"language": "de"}, {"summary": ""}, {"topic": "x" * 101}, {"channel": "tele\x00gram"}],
    ids=["language", "empty-summary", "long-topic", "nul"],
)
def test_a_ticket_outside_the_schema_is_a_400(api, overrides) -> None:
    assert api.post("/v1/support-tickets", json=_ticket(**overrides)).status_code == 400


def test_an_unknown_ticket_is_404(api) -> None:
    response = api.get("/v1/support-tickets/ZZZZZZZZZZ")
    assert response.status_code == 404 and response.json() == {"error": "not_found"}


def test_a_retried_ticket_with_its_key_is_opened_once(api) -> None:
    key = {"Idempotency-Key": f"ticket:{uuid.uuid4()}"}
    body = _ticket()
    ids = {api.post("/v1/support-tickets", json=body, headers=key).json()["id"] for _ in range(3)}
    assert len(ids) == 1

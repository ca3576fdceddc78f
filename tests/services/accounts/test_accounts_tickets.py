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


def test_the_answer_by_email_choice_is_recorded_on_the_ticket(api) -> None:
    """Issue 14: a customer waiting for a person chose the answer by email; the address is kept
    when a later call gives none, replaced when one gives another; a retry with its key is one."""
    ticket_id = api.post("/v1/support-tickets", json=_ticket(email="anna@example.com")).json()["id"]
    assert "answer_by" not in api.get(f"/v1/support-tickets/{ticket_id}").json()
    key = {"Idempotency-Key": f"answer:{uuid.uuid4()}"}
    for _ in range(2):
        recorded = api.post(
            f"/v1/support-tickets/{ticket_id}/answer-by-email",
            json={"email": "Anna.Work@Example.COM"},
            headers=key,
        )
        assert recorded.status_code == 200 and recorded.json() == {"id": ticket_id, "answer_by": "email"}
    ticket = api.get(f"/v1/support-tickets/{ticket_id}").json()
    assert (ticket["answer_by"], ticket["answer_email"], ticket["email"]) == (
        "email",
        "anna.work@example.com",
        "anna@example.com",
    )
    assert api.post(f"/v1/support-tickets/{ticket_id}/answer-by-email", json={}).status_code == 200
    assert api.get(f"/v1/support-tickets/{ticket_id}").json()["answer_email"] == "anna.work@example.com"


def test_answer_by_email_needs_a_ticket_and_a_well_formed_address(api) -> None:
    missing = api.post("/v1/support-tickets/ZZZZZZZZZZ/answer-by-email", json={})
    assert missing.status_code == 404 and missing.json() == {"error": "not_found"}
    ticket_id = api.post("/v1/support-tickets", json=_ticket()).json()["id"]
    url = f"/v1/support-tickets/{ticket_id}/answer-by-email"
    assert api.post(url, json={"email": "anna at example"}).status_code == 422
    assert api.post(url, json={"email": 5}).status_code == 400
    assert "answer_by" not in api.get(f"/v1/support-tickets/{ticket_id}").json()


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(
    api, new_email, create_account
) -> None:
    owner, stranger = new_email(), new_email()
    create_account(api, owner)
    answers = []
    for address in (owner, stranger):
        ticket_id = api.post("/v1/support-tickets", json=_ticket()).json()["id"]
        answer = api.post(f"/v1/support-tickets/{ticket_id}/answer-by-email", json={"email": address})
        answers.append((answer.status_code, answer.json()["answer_by"], sorted(answer.headers)))
    assert answers[0] == answers[1]


def test_erasing_an_address_erases_the_tickets_to_be_answered_at_it(api, new_email) -> None:
    address = new_email()
    ticket_id = api.post("/v1/support-tickets", json=_ticket()).json()["id"]
    api.post(f"/v1/support-tickets/{ticket_id}/answer-by-email", json={"email": address})
    erased = api.post("/v1/erasures", json={"emails": [address]}).json()
    assert erased["support_tickets"] == 1
    assert api.get(f"/v1/support-tickets/{ticket_id}").status_code == 404

"""A waiting customer's "answer by email" reaches the ticket the account service keeps (issue 14).

The real action server runs action_stop_waiting against the real account service: the ticket
records the choice and the address; a conversation without a ticket gets one, with its summary as
a hand-off's; a ticket the service no longer knows is replaced; when the service is down the
customer is never promised an answer nobody would send.
"""

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from action_calls import ROOT, actions_calling, call, slots_set
from rasa.shared.core.domain import Domain
from support import free_port

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    return Domain.load(str(ROOT / "domain.yml")).as_dict()


@pytest.fixture(scope="module")
def actions(service) -> Iterator[str]:
    with actions_calling(service.url, service.token) as url:
        yield url


def _customer_events(*texts: str) -> list[dict[str, Any]]:
    return [
        {"event": "user", "text": text, "parse_data": {"intent": {"name": "request_human"}}, "metadata": {}}
        for text in texts
    ]


def _choose_email(actions: str, domain: dict[str, Any], sender: str, ticket: str | None) -> dict[str, Any]:
    address = "jane.doe@example.com"
    return call(
        actions,
        "action_stop_waiting",
        domain,
        slots={"language": "en", "person_request": "waiting", "ticket": ticket},
        latest_message={
            "text": f"by email please, {address}",
            "intent": {"name": "inform"},
            "entities": [
                {"entity": "person_choice", "value": "email"},
                {"entity": "email", "value": address},
            ],
        },
        events=_customer_events("my license disappeared", "I want to talk to a person"),
        sender_id=sender,
    )


def _ticket(api: httpx.Client, label: str) -> dict[str, Any]:
    answer = api.get(f"/v1/support-tickets/{label.lstrip('#')}")
    assert answer.status_code == 200, answer.text
    return answer.json()


def _reply(answer: dict[str, Any]) -> dict[str, Any]:
    [message] = answer["responses"]
    return message


def test_the_choice_and_the_address_are_recorded_on_the_handoffs_ticket(actions, api, domain) -> None:
    sender = f"rest-{uuid.uuid4().hex[:8]}"
    opened = api.post(
        "/v1/support-tickets",
        json={
            "topic": "human_request",
            "channel": "rest",
            "conversation_id": sender,
            "language": "en",
            "summary": "s",
        },
    ).json()["id"]
    answer = _choose_email(actions, domain, sender, f"#{opened}")
    assert slots_set(answer) == {
        "ticket": f"#{opened}",
        "email": "jane.doe@example.com",
        "person_request": "by_email",
    }
    assert (_reply(answer)["response"], _reply(answer)["ticket"]) == ("utter_answer_by_email", f"#{opened}")
    ticket = _ticket(api, opened)
    assert (ticket["answer_by"], ticket["answer_email"]) == ("email", "jane.doe@example.com")


def test_without_a_ticket_one_is_opened_with_the_summary_and_the_choice(actions, api, domain) -> None:
    sender = f"rest-{uuid.uuid4().hex[:8]}"
    for missing in (None, "#ZZZZZZZZZZ"):  # none yet, or one the service does not know (erased)
        answer = _choose_email(actions, domain, sender, missing)
        label = slots_set(answer)["ticket"]
        assert label.startswith("#") and label != missing and _reply(answer)["ticket"] == label
        ticket = _ticket(api, label)
        assert (ticket["topic"], ticket["conversation_id"], ticket["channel"]) == (
            "human_request",
            sender,
            "rest",
        )
        assert ticket["summary"].startswith("The customer asked to be answered by email")
        assert "my license disappeared" in ticket["summary"]
        assert (ticket["answer_by"], ticket["answer_email"], ticket["email"]) == ("email",) + (
            "jane.doe@example.com",
        ) * 2


def test_a_stopped_service_never_promises_an_answer_nobody_would_send(domain) -> None:
    with actions_calling(f"http://127.0.0.1:{free_port()}") as stopped:
        sender = f"rest-{uuid.uuid4().hex[:8]}"
        answer = _choose_email(stopped, domain, sender, None)
        assert _reply(answer)["response"] == "utter_ticket_failed"
        assert slots_set(answer) == {"person_request": None}
        # the ticket exists (the console's queue shows the choice too): the customer is answered
        answer = _choose_email(stopped, domain, sender, "#ABCDEFGHIJ")
        assert _reply(answer)["response"] == "utter_answer_by_email"
        assert slots_set(answer)["person_request"] == "by_email"

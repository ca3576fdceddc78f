"""The dashboard's figures, review marks and tags as filters, and clear refusals when Rasa is away."""

import re

import pytest
from console_support import csrf_of


@pytest.fixture(scope="module")
def seeded(bare):
    t = bare.tracker
    t.conversation("d-en-1", [("I forgot my password", "forgot_password", 0.95)])
    t.conversation("d-en-2", [("hello", "greet", 0.99), ("reset link please", "forgot_password", 0.9)])
    t.conversation(
        "d-fr-1",
        [("je veux parler à quelqu'un", "request_human", 0.97)],
        language="fr",
        channel="telegram",
        handoff=True,
    )
    t.conversation("d-ru-1", [("ыыы", "nlu_fallback", 0.2)], language="ru", channel="messenger")
    return bare


def _figure(page: str, element_id: str) -> str:
    return re.search(rf'id="{element_id}">([^<]*)<', page).group(1)


def test_dashboard_shows_containment_and_fallback_rate(seeded) -> None:
    with seeded.console.signed_in("agent1") as client:
        page = client.get("/dashboard", params={"days": "7"}).text
        # 2 of 4 conversations resolved alone; 1 of 5 customer messages not understood.
        assert (
            _figure(page, "containment"),
            _figure(page, "fallback-rate"),
            _figure(page, "conversation-count"),
        ) == ("50%", "20%", "4")
        chart = page.split('id="intents-chart"', 1)[1].split("</svg>", 1)[0]
        assert "forgot_password: 2" in chart and "request_human: 1" in chart
        french = client.get("/dashboard", params={"days": "7", "language": "fr"}).text
        assert (_figure(french, "containment"), _figure(french, "conversation-count")) == ("0%", "1")
        telegram = client.get("/dashboard", params={"days": "7", "channel": "telegram"}).text
        assert (
            "request_human: 1" in telegram
            and "forgot_password" not in telegram.split('id="intents-chart"')[1]
        )


def test_reviewed_mark_and_tags_become_list_filters(seeded) -> None:
    with seeded.console.signed_in("agent1") as client:
        token = csrf_of(client, "/conversation?id=d-en-2")
        assert (
            client.post(
                "/conversation/review", data={"id": "d-en-2", "reviewed": "yes", "csrf_token": token}
            ).status_code
            == 303
        )
        assert (
            client.post(
                "/conversation/tags",
                data={"id": "d-en-2", "tags": "Billing, needs-training", "csrf_token": token},
            ).status_code
            == 303
        )

        def listed(**params: str) -> list[str]:
            return re.findall(r'conversation\?id=([\w-]+)"', client.get("/conversations", params=params).text)

        assert listed(reviewed="yes") == ["d-en-2"]
        assert "d-en-2" not in listed(reviewed="no")
        assert listed(tag="needs-training") == ["d-en-2"]
        assert listed(outcome="handed_off") == ["d-fr-1"]
        assert listed(low_confidence="yes") == ["d-ru-1"]
        assert listed(intent="greet") == ["d-en-2"]
        refused = client.post(
            "/conversation/tags", data={"id": "d-en-2", "tags": "<b>bold</b>", "csrf_token": token}
        )
        assert refused.status_code == 400 and "a tag has" in refused.text


def test_handoff_queue_lists_the_waiting_conversation(seeded) -> None:
    with seeded.console.signed_in("agent1") as client:
        queue = client.get("/handoffs").text
        assert "d-fr-1" in queue and "d-en-1" not in queue


def test_taking_over_while_rasa_is_away_is_a_clear_refusal(seeded) -> None:
    with seeded.console.signed_in("agent1") as client:
        token = csrf_of(client, "/conversation?id=d-fr-1")
        response = client.post("/conversation/take", data={"id": "d-fr-1", "csrf_token": token})
        assert response.status_code == 409
        assert "cannot be reached" in response.text and "Traceback" not in response.text
        page = client.get("/conversation", params={"id": "d-fr-1"}).text
        assert 'id="take-form"' in page  # nobody holds it: the failed take left nothing behind
        reply = client.post("/conversation/reply", data={"id": "d-fr-1", "text": "hi", "csrf_token": token})
        assert reply.status_code == 409 and "take the conversation over" in reply.text


def test_an_unknown_conversation_is_not_found(seeded) -> None:
    with seeded.console.signed_in("agent1") as client:
        assert client.get("/conversation", params={"id": "no-such-thing"}).status_code == 404
        assert client.get("/conversation/story.yml", params={"id": "no-such-thing"}).status_code == 404


def test_try_it_says_clearly_when_the_assistant_is_away(seeded) -> None:
    with seeded.console.signed_in("agent1") as client:
        token = csrf_of(client, "/try")
        response = client.post("/try/send", data={"message": "hello"}, headers={"X-CSRF-Token": token})
        assert response.status_code == 502
        assert response.text == "the assistant (Rasa) cannot be reached: ConnectError"

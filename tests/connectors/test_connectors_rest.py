"""The guarded REST channel through a real `rasa run` (started with REST_CHANNEL_TOKEN set)."""

import httpx
import pytest

from bot.redaction import redact_credentials


@pytest.fixture
def rest(rasa_server, secrets):
    url = f"{rasa_server.url}/webhooks/rest/webhook"

    def post(body, token=secrets["REST_CHANNEL_TOKEN"], raw=None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if raw is not None:
            return httpx.post(url, content=raw, headers=headers, timeout=10)
        return httpx.post(url, json=body, headers=headers, timeout=10)

    return post


def test_rasa_rest_contract_with_the_bearer_token(rest):
    answer = rest({"sender": "web-visitor-1", "message": "hello"})
    assert answer.status_code == 200
    assert answer.json() == [
        {
            "recipient_id": "web-visitor-1",
            "text": "Hello! Pick one:",
            "buttons": [
                {"title": "Yes", "payload": "/affirm"},
                {"title": "No", "payload": "/deny"},
                {"title": "I forgot which email I registered with", "payload": "/forgot_email"},
            ],
        }
    ]


def test_missing_or_wrong_bearer_token_gets_401(rest, rasa_server):
    assert rest({"sender": "web-visitor-2", "message": "hello"}, token=None).status_code == 401
    wrong = rest({"sender": "web-visitor-2", "message": "hello"}, token="guess")
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    assert rasa_server.user_events("web-visitor-2") == []
    assert httpx.get(f"{rasa_server.url}/webhooks/rest/", timeout=10).status_code == 200


@pytest.mark.parametrize("sender", ["messenger:5678", "telegram:1111111", "Twitter:272953809", " twitter:1"])
def test_rest_callers_cannot_post_into_platform_conversations(rest, rasa_server, sender):
    answer = rest({"sender": sender, "message": "yes"})
    assert answer.status_code == 403
    assert rasa_server.user_events(sender.strip().replace(" ", "")) == []


def test_text_is_redacted_and_channel_cannot_be_spoofed(rest, rasa_server):
    body = {
        "sender": "web-visitor-3",
        "message": "my password: Hunter2-secret",
        "metadata": {"locale": "fr", "channel": "messenger"},
        "input_channel": "messenger",
    }
    assert rest(body).status_code == 200
    [user] = rasa_server.user_events("web-visitor-3")
    assert "Hunter2" not in user["text"]
    assert user["text"] == redact_credentials("my password: Hunter2-secret")
    assert user["input_channel"] == "rest"
    assert user["metadata"]["channel"] == "rest"
    assert user["metadata"]["locale"] == "fr"


def test_malformed_and_oversized_bodies_get_4xx(rest):
    assert rest(None, raw=b"{oops").status_code == 400
    assert rest(["sender", "message"]).status_code == 400
    assert rest({"message": "hello"}).status_code == 400
    assert rest({"sender": 5, "message": "hello"}).status_code == 400
    assert rest({"sender": "web-visitor-4", "message": {"text": "x"}}).status_code == 400
    assert rest({"sender": "web-visitor-4", "message": "x", "metadata": [1]}).status_code == 400
    assert rest({"sender": "web-visitor-4", "message": "x" * 100_000}).status_code == 413
    assert rest({"sender": "web-visitor-4", "message": "yes"}).json()[0]["text"] == "Great, carry on."

"""Hostile bytes at every webhook of a real `rasa run`: refused or repaired, never a 500, never a
stopped process, and the next ordinary message is answered."""

import json
import time

import httpx

from test_connectors_messenger import envelope, replies, text_event
from test_connectors_telegram import message_update

DEEP = b'{"a":' * 5000 + b"1" + b"}" * 5000


def rest_post(server, body) -> httpx.Response:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(f"{server.url}/webhooks/rest/webhook", content=raw, timeout=30,
                      headers={"Content-Type": "application/json",
                               "Authorization": "Bearer rest-channel-token-0123456789"})


def still_answers(server) -> None:
    answer = rest_post(server, {"sender": f"ok-{time.time_ns()}", "message": "hello"})
    assert answer.status_code == 200 and answer.json(), answer.text


def test_a_lone_surrogate_sender_is_refused_and_the_server_goes_on(rasa_server):
    for sender in ("sur\ud800", "a\x00b", "tab\tid", "x" * 129, "   "):
        answer = rest_post(rasa_server, {"sender": sender, "message": "hi"})
        assert answer.status_code == 400, (sender, answer.text)
    assert rasa_server.process.poll() is None
    still_answers(rasa_server)


def test_text_and_metadata_with_lone_surrogates_are_repaired(rasa_server):
    sender = f"repair-{time.time_ns()}"
    answer = rest_post(rasa_server, {"sender": sender, "message": "hello \ud800\x00there",
                                     "metadata": {"k\udfff": ["v\ud800", {"n": "\x07"}]}})
    assert answer.status_code == 200, answer.text
    user = rasa_server.user_events(sender)[-1]
    assert user["text"] == "hello \ufffdthere"
    assert user["metadata"]["k\ufffd"] == ["v\ufffd", {"n": ""}]


def test_json_nested_thousands_deep_gets_400_on_every_webhook(
    rasa_server, messenger_post, twitter_post, telegram_post
):
    assert rest_post(rasa_server, DEEP).status_code == 400
    assert messenger_post(DEEP).status_code == 400
    assert twitter_post(DEEP).status_code == 400
    assert telegram_post(DEEP).status_code == 400
    nested_metadata = b'{"sender": "deep", "message": "hi", "metadata": ' + b"[" * 40 + b"]" * 40 + b"}"
    assert rest_post(rasa_server, nested_metadata).status_code == 400
    still_answers(rasa_server)


def test_a_long_rest_message_is_cut_at_the_platform_limit(rasa_server):
    sender = f"long-{time.time_ns()}"
    answer = rest_post(rasa_server, {"sender": sender, "message": "word " * 4000})
    assert answer.status_code == 200
    user = rasa_server.user_events(sender)[-1]
    assert len(user["text"]) <= 10000
    assert user["metadata"]["cut_from"] == 20000


def test_telegram_whitespace_text_and_absurd_dates_are_not_server_errors(
    rasa_server, platforms, telegram_post, new_id
):
    chat = new_id()
    assert telegram_post(message_update(chat, "   \n\t ")).status_code == 200
    absurd = message_update(chat, "hello")
    absurd["message"]["date"] = 1e20
    assert telegram_post(absurd).status_code in (200, 400)
    surrogate = message_update(chat, "hello")
    surrogate["message"]["chat"]["id"] = "12\ud800"
    assert telegram_post(surrogate).status_code in (200, 400)
    assert rasa_server.process.poll() is None
    still_answers(rasa_server)


def test_messenger_ids_that_are_not_psids_start_no_conversation(
    rasa_server, platforms, messenger_post, new_id
):
    for odd in ("12\ud800", "telegram:42", 1.5, True, {"id": 1}, "1" * 40):
        event = text_event("1", "hello")
        event["sender"]["id"] = odd
        assert messenger_post(envelope(event)).status_code == 200
    psid = new_id()
    assert messenger_post(envelope(text_event(psid, "hello"))).status_code == 200
    replies(platforms, psid, 1)
    assert rasa_server.process.poll() is None


def test_two_postbacks_without_mid_in_one_millisecond_are_two_turns(
    rasa_server, platforms, messenger_post, new_id
):
    psid = new_id()
    stamp = int(time.time() * 1000)
    taps = [{"sender": {"id": psid}, "recipient": {"id": "1"}, "timestamp": stamp,
             "postback": {"title": title, "payload": payload}}
            for title, payload in (("Yes", "/affirm"), ("No", "/deny"))]
    assert messenger_post(envelope(*taps)).status_code == 200
    replies(platforms, psid, 2)
    texts = [e["text"] for e in rasa_server.user_events(f"messenger:{psid}")]
    assert texts == ["/affirm", "/deny"]
    # the very same tap redelivered is still one turn
    assert messenger_post(envelope(taps[0])).status_code == 200
    time.sleep(1.5)
    assert len(rasa_server.user_events(f"messenger:{psid}")) == 2

"""Attacks at the REST edge: a sender id that sneaks into another channel's conversations, and
a body larger than the connectors accept that Rasa still reads in full.

Before: `ｔelegram:42` (a fullwidth letter) and `console-try-…` (the agents' console's own
conversations) were accepted as REST senders, a sender with control characters too, and Rasa's
app kept Sanic's 100 MB request limit while the connectors refused bodies over 1 MiB only after
reading them.
"""

import json

import httpx
from conftest import RUNTIME_TOKEN, connector_fixtures

REST = "/webhooks/rest/webhook"
TOKEN = {"Authorization": f"Bearer {connector_fixtures.SECRETS['REST_CHANNEL_TOKEN']}"}


def send(server, sender, headers=None):
    return httpx.post(
        server.url + REST,
        json={"sender": sender, "message": "hello"},
        headers={**TOKEN, **(headers or {})},
        timeout=30,
    )


def test_a_fullwidth_platform_prefix_is_refused(runtime_server):
    for sender in ("ｔelegram:42", "ＴＷＩＴＴＥＲ:1", " messenger :7", "Telegram:42"):
        assert send(runtime_server, sender).status_code == 403, sender


def test_control_and_invisible_characters_are_refused(runtime_server):
    for sender in ("abc\u0000def", "rest\u202euser", "a\u200bb", "line\nbreak"):
        assert send(runtime_server, sender).status_code == 400, repr(sender)


def test_the_consoles_conversations_need_the_consoles_proof(runtime_server):
    assert send(runtime_server, "console-try-0123456789abcdef").status_code == 403
    assert send(runtime_server, "ＣＯＮＳＯＬＥ-try-0123").status_code == 403
    assert send(runtime_server, "console-try-0123456789abcdef", {"X-Rasa-Token": "wrong"}).status_code == 403
    assert (
        send(runtime_server, "console-try-0123456789abcdef", {"X-Rasa-Token": RUNTIME_TOKEN}).status_code
        == 200
    )


def test_a_normal_sender_still_talks(runtime_server):
    answer = send(runtime_server, "customer-42")
    assert answer.status_code == 200 and answer.json()


def test_rasa_refuses_bodies_over_the_connectors_limit_on_every_route(runtime_server):
    big = json.dumps({"text": "x" * (connector_fixtures.MAX_BODY_BYTES + 1)})
    for path in ("/model/parse", REST, "/webhooks/twitter/webhook"):
        answer = httpx.post(
            runtime_server.url + path,
            content=big,
            timeout=30,
            headers={"Content-Type": "application/json", **TOKEN},
        )
        assert answer.status_code == 413, path

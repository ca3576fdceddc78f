"""Attack: the X CRC route as a signing oracle for forged DM events.

The CRC answer is `sha256=base64(HMAC(consumer_secret, crc_token))`, the very signature X puts
on event POSTs. Before the fix, sending a DM event's JSON body as `crc_token` returned a valid
signature for that body, and the forged event was accepted as coming from any X user.
"""

import json
import time

import httpx


def forged_event(victim: str) -> bytes:
    """A DM event in which `victim` seems to ask the assistant something."""
    return json.dumps(
        {
            "for_user_id": "835740314006511618",
            "direct_message_events": [
                {
                    "type": "message_create",
                    "id": f"forged-{victim}",
                    "created_timestamp": str(int(time.time() * 1000)),
                    "message_create": {
                        "target": {"recipient_id": "835740314006511618"},
                        "sender_id": victim,
                        "message_data": {"text": "hello"},
                    },
                }
            ],
            "users": {},
        }
    ).encode()


def test_crc_route_does_not_sign_a_forged_event_body(rasa_server, new_id):
    victim = new_id()
    body = forged_event(victim)
    webhook = f"{rasa_server.url}/webhooks/twitter/webhook"

    crc = httpx.get(webhook, params={"crc_token": body.decode()}, timeout=10)
    # Whatever the route answered, it must not be a signature the event route accepts.
    token = crc.json().get("response_token", "sha256=") if crc.status_code == 200 else "sha256="
    posted = httpx.post(
        webhook,
        content=body,
        timeout=10,
        headers={"Content-Type": "application/json", "x-twitter-webhooks-signature": token},
    )
    assert (crc.status_code, posted.status_code) == (400, 403)
    time.sleep(1)
    events = httpx.get(f"{rasa_server.url}/conversations/twitter:{victim}/tracker", timeout=10)
    assert not [e for e in events.json().get("events", []) if e["event"] == "user"]


def test_crc_tokens_of_the_platform_shape_are_still_answered(rasa_server):
    webhook = f"{rasa_server.url}/webhooks/twitter/webhook"
    for token in (
        "9b4507b3-9040-4669-9ca3-6b94edb50553",
        "test token",
        "OTAwNDY4NzYyMzEyNjMwNDY0NTY3ODk=",
        "a_b-c/d+e",
    ):
        answer = httpx.get(webhook, params={"crc_token": token}, timeout=10)
        assert answer.status_code == 200, token
        assert answer.json()["response_token"].startswith("sha256=")
    for token in ("{}", '{"a":1}', "x" * 257, "line\nbreak"):
        assert httpx.get(webhook, params={"crc_token": token}, timeout=10).status_code == 400, token

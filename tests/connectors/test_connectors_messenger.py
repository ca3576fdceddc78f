"""Messenger through a real `rasa run`: handshake, signatures, events, replies as Meta receives them."""

import itertools
import json
import time

import httpx

from bot.redaction import redact_credentials

PAGE_ID = "1234567890"
_mids = itertools.count(1)


def text_event(psid, text, mid=None):
    return {
        "sender": {"id": psid},
        "recipient": {"id": PAGE_ID},
        "timestamp": int(time.time() * 1000),
        "message": {"mid": mid or f"m_{psid}_{next(_mids)}", "text": text},
    }


def envelope(*events):
    return {
        "object": "page",
        "entry": [{"id": PAGE_ID, "time": int(time.time() * 1000), "messaging": list(events)}],
    }


def sent_messages(platforms, psid):
    """Send API calls carrying a message (not sender actions) for `psid`, in arrival order."""
    return platforms.graph.matching(
        lambda r: r["json"].get("recipient", {}).get("id") == psid and "message" in r["json"]
    )


def replies(platforms, psid, count):
    found = platforms.graph.wait_for(
        lambda r: r["json"].get("recipient", {}).get("id") == psid and "message" in r["json"],
        count,
    )
    return [r["json"]["message"] for r in found]


def test_handshake_echoes_challenge_only_for_the_right_verify_token(rasa_server, secrets):
    url = f"{rasa_server.url}/webhooks/messenger/webhook"
    good = {
        "hub.mode": "subscribe",
        "hub.verify_token": secrets["MESSENGER_VERIFY_TOKEN"],
        "hub.challenge": "1158201444",
    }
    answer = httpx.get(url, params=good, timeout=10)
    assert answer.status_code == 200 and answer.text == "1158201444"
    wrong = dict(good, **{"hub.verify_token": "guess"})
    assert httpx.get(url, params=wrong, timeout=10).status_code == 403
    assert httpx.get(url, params={"hub.challenge": "x"}, timeout=10).status_code == 403


def test_text_gets_reply_with_numbered_quick_replies_through_graph_api(
    rasa_server, platforms, messenger_post, new_id, secrets
):
    psid = new_id()
    assert messenger_post(envelope(text_event(psid, "hello"))).status_code == 200

    [request] = platforms.graph.wait_for(
        lambda r: r["json"].get("recipient", {}).get("id") == psid and "message" in r["json"]
    )
    # explicit current Graph version, the page token and appsecret_proof as query parameters
    assert request["path"] == "/v23.0/me/messages"
    assert request["query"]["access_token"] == secrets["MESSENGER_PAGE_ACCESS_TOKEN"]
    assert request["query"]["appsecret_proof"]
    body = request["json"]
    assert body["messaging_type"] == "RESPONSE"
    # one title is longer than 20 characters: the options become numbered text + number quick replies
    assert body["message"]["text"] == (
        "Hello! Pick one:\n\n1. Yes\n2. No\n3. I forgot which email I registered with"
    )
    assert body["message"]["quick_replies"] == [
        {"content_type": "text", "title": "1", "payload": "/affirm"},
        {"content_type": "text", "title": "2", "payload": "/deny"},
        {"content_type": "text", "title": "3", "payload": "/forgot_email"},
    ]
    # the typing indicator went out before the reply
    typing = platforms.graph.matching(
        lambda r: (
            r["json"].get("recipient", {}).get("id") == psid and r["json"].get("sender_action") == "typing_on"
        )
    )
    assert typing and typing[0]["time"] <= request["time"]


def test_quick_reply_tap_and_typed_number_and_postback_reach_rasa_as_payloads(
    rasa_server, platforms, messenger_post, new_id
):
    psid = new_id()
    messenger_post(envelope(text_event(psid, "hello")))
    replies(platforms, psid, 1)
    tap = text_event(psid, "1")
    tap["message"]["quick_reply"] = {"payload": "/affirm"}
    messenger_post(envelope(tap))
    assert replies(platforms, psid, 2)[1]["text"] == "Great, carry on."

    messenger_post(envelope(text_event(psid, "hello")))
    replies(platforms, psid, 3)
    messenger_post(envelope(text_event(psid, "3")))  # typed: the third option
    assert replies(platforms, psid, 4)[3]["text"] == "Let's find your email."

    postback = {
        "sender": {"id": psid},
        "recipient": {"id": PAGE_ID},
        "timestamp": int(time.time() * 1000),
        "postback": {"title": "No", "payload": "/deny", "mid": f"m_pb_{psid}"},
    }
    messenger_post(envelope(postback))
    assert replies(platforms, psid, 5)[4]["text"] == "Okay, no problem."


def test_every_event_of_a_batched_callback_is_handled_and_echoes_reads_deliveries_skipped(
    rasa_server, platforms, messenger_post, new_id
):
    first, second = new_id(), new_id()
    echo = {
        "sender": {"id": PAGE_ID},
        "recipient": {"id": first},
        "timestamp": 1,
        "message": {"mid": f"m_echo_{first}", "text": "hello", "is_echo": True, "app_id": 1},
    }
    delivery = {
        "sender": {"id": first},
        "recipient": {"id": PAGE_ID},
        "delivery": {"mids": ["x"], "watermark": 1},
    }
    read = {"sender": {"id": first}, "recipient": {"id": PAGE_ID}, "read": {"watermark": 1}}
    body = envelope(echo, text_event(first, "hello"), delivery, read)
    body["entry"].append(envelope(text_event(second, "yes"), text_event(second, "no"))["entry"][0])

    assert messenger_post(body).status_code == 200

    assert [m["text"] for m in replies(platforms, second, 2)] == ["Great, carry on.", "Okay, no problem."]
    assert replies(platforms, first, 1)[0]["text"].startswith("Hello! Pick one:")
    assert not sent_messages(platforms, PAGE_ID)  # the echo started no turn
    user_texts = [e["text"] for e in rasa_server.user_events(f"messenger:{first}")]
    assert user_texts == ["hello"]  # delivery and read started none either


def test_webhook_answers_at_once_while_the_turn_runs_and_keeps_order(
    rasa_server, platforms, messenger_post, new_id
):
    psid = new_id()
    platforms.graph.delays.extend([2.0])  # the first Graph call (typing indicator) stalls
    started = time.monotonic()
    assert messenger_post(envelope(text_event(psid, "hello"))).status_code == 200
    assert messenger_post(envelope(text_event(psid, "yes"))).status_code == 200
    assert time.monotonic() - started < 1.5

    texts = [m["text"] for m in replies(platforms, psid, 2)]
    assert texts[0].startswith("Hello! Pick one:") and texts[1] == "Great, carry on."


def test_redelivered_message_is_processed_once(rasa_server, platforms, messenger_post, new_id):
    psid = new_id()
    event = text_event(psid, "yes", mid=f"m_dup_{psid}")
    assert messenger_post(envelope(event)).status_code == 200
    assert messenger_post(envelope(event)).status_code == 200
    messenger_post(envelope(text_event(psid, "no")))
    # turns of one conversation run in order: once "no" is answered, a duplicate would have been too
    replies(platforms, psid, 2)
    assert [m["message"]["text"] for m in (r["json"] for r in sent_messages(platforms, psid))] == [
        "Great, carry on.",
        "Okay, no problem.",
    ]


def test_missing_wrong_and_replayed_signatures_get_403_and_no_turn(
    rasa_server, platforms, messenger_post, new_id, signatures
):
    psid = new_id()
    body = json.dumps(envelope(text_event(psid, "hello"))).encode()
    other = json.dumps(envelope(text_event(new_id(), "hello"))).encode()
    assert messenger_post(body, signature=None).status_code == 403
    assert messenger_post(body, signature="sha256=" + "0" * 64).status_code == 403
    assert messenger_post(body, signature=signatures.messenger(body, "another-secret")).status_code == 403
    # a genuine signature of another body, replayed on this one
    assert messenger_post(body, signature=signatures.messenger(other)).status_code == 403
    # legacy sha1 header alone is not enough
    assert (
        httpx.post(
            f"{rasa_server.url}/webhooks/messenger/webhook",
            content=body,
            headers={"X-Hub-Signature": "sha1=" + "0" * 40},
            timeout=10,
        ).status_code
        == 403
    )
    time.sleep(0.5)
    assert rasa_server.user_events(f"messenger:{psid}") == []
    assert not sent_messages(platforms, psid)


def test_malformed_unknown_and_oversized_bodies_are_refused_or_ignored_without_crashing(
    rasa_server, platforms, messenger_post, new_id
):
    assert messenger_post(b'{"object": "page", "entry": [').status_code == 400
    assert messenger_post(b"[1, 2, 3]").status_code == 400
    assert messenger_post({"object": "instagram", "entry": []}).status_code == 200
    odd = {
        "object": "page",
        "entry": [{"messaging": [{"sender": {"id": "1"}, "reaction": {"emoji": "x"}}, 7]}, "junk"],
    }
    assert messenger_post(odd).status_code == 200
    # larger than CONNECTOR_MAX_BODY_BYTES (64 KiB in this server; the default would accept it)
    big = envelope(text_event(new_id(), "x" * 100_000))
    assert messenger_post(big).status_code == 413

    psid = new_id()  # still serving
    messenger_post(envelope(text_event(psid, "yes")))
    assert replies(platforms, psid, 1)[0]["text"] == "Great, carry on."


def test_message_reaches_rasa_namespaced_redacted_with_channel_metadata(
    rasa_server, platforms, messenger_post, new_id
):
    psid = new_id()
    event = text_event(psid, "my password is Qwerty123!", mid=f"m_secret_{psid}")
    messenger_post(envelope(event))
    replies(platforms, psid, 1)
    [user] = rasa_server.user_events(f"messenger:{psid}")
    assert "Qwerty123" not in json.dumps(user)
    assert user["text"] == redact_credentials("my password is Qwerty123!")
    assert user["text"].startswith("my password is [redacted: credential]")
    assert user["input_channel"] == "messenger"
    # Rasa adds assistant_id and model_id; Messenger's webhook carries no locale
    assert user["metadata"]["channel"] == "messenger"
    assert user["metadata"]["platform_message_id"] == f"m_secret_{psid}"
    assert "locale" not in user["metadata"]


def test_agent_message_through_rasa_http_api_reaches_the_customer(
    rasa_server, platforms, messenger_post, new_id
):
    psid = new_id()
    messenger_post(envelope(text_event(psid, "yes")))
    replies(platforms, psid, 1)
    answer = httpx.post(
        f"{rasa_server.url}/conversations/messenger:{psid}/tracker/events",
        params={"output_channel": "latest", "execute_side_effects": "true"},
        json=[{"event": "bot", "text": "Hi, this is Anna from support."}],
        timeout=10,
    )
    assert answer.status_code == 200
    assert replies(platforms, psid, 2)[1]["text"] == "Hi, this is Anna from support."


def test_output_channel_refuses_conversations_of_other_channels(rasa_server, platforms):
    # a REST conversation pushed to `output_channel=messenger` must not message a Messenger user
    sender = "42424242"
    httpx.post(
        f"{rasa_server.url}/conversations/{sender}/tracker/events",
        params={"output_channel": "messenger", "execute_side_effects": "true"},
        json=[{"event": "bot", "text": "Should never leave."}],
        timeout=10,
    ).raise_for_status()
    time.sleep(0.5)
    assert not sent_messages(platforms, sender)


def test_an_agents_reply_goes_out_with_the_human_agent_tag(rasa_server, platforms, messenger_post, new_id):
    """What the console sends (a bot event marked `console_agent`, output_channel=latest) reaches
    Messenger as MESSAGE_TAG / HUMAN_AGENT, accepted for 7 days; the assistant's own as RESPONSE."""
    psid = new_id()
    messenger_post(envelope(text_event(psid, "hello")))
    replies(platforms, psid, 1)
    answer = httpx.post(
        f"{rasa_server.url}/conversations/messenger:{psid}/tracker/events",
        params={"output_channel": "latest", "execute_side_effects": "true", "include_events": "NONE"},
        json=[
            {
                "event": "bot",
                "text": "Hello, this is Alice from support.",
                "metadata": {"console_agent": "alice"},
            }
        ],
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    sent = platforms.graph.wait_for(
        lambda r: (
            r["json"].get("recipient", {}).get("id") == psid
            and r["json"].get("message", {}).get("text") == "Hello, this is Alice from support."
        )
    )[0]["json"]
    assert (sent["messaging_type"], sent["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")
    assistant_reply = sent_messages(platforms, psid)[0]["json"]
    assert assistant_reply["messaging_type"] == "RESPONSE" and "tag" not in assistant_reply


def test_the_customers_profile_is_looked_up_once_and_reaches_rasa_as_metadata(
    rasa_server, platforms, messenger_post, new_id, secrets
):
    """The User Profile API's documented answer: first and last name and locale, asked for once
    per customer with the page token and appsecret_proof; the locale answers in the customer's
    language from the first message on."""
    psid = new_id()
    platforms.profiles[psid] = {"first_name": "Peter", "last_name": "Chang", "locale": "en_US", "gender": "x"}
    messenger_post(envelope(text_event(psid, "hello")))
    replies(platforms, psid, 1)
    messenger_post(envelope(text_event(psid, "yes")))
    replies(platforms, psid, 2)
    [lookup] = platforms.profile_lookups.matching(lambda r: r["psid"] == psid)
    assert lookup["path"] == f"/v23.0/{psid}"
    assert lookup["query"]["fields"] == "first_name,last_name,locale"
    assert lookup["query"]["access_token"] == secrets["MESSENGER_PAGE_ACCESS_TOKEN"]
    assert lookup["query"]["appsecret_proof"]
    for user in rasa_server.user_events(f"messenger:{psid}"):
        assert (user["metadata"]["display_name"], user["metadata"]["locale"]) == ("Peter Chang", "en_US")
        assert "username" not in user["metadata"]
    assert "Peter" not in rasa_server.log(), "names are customer data: never in a log"


def test_a_failed_slow_or_odd_profile_lookup_never_fails_nor_holds_the_turn(
    rasa_server, platforms, messenger_post, new_id
):
    failing, odd, slow = new_id(), new_id(), new_id()
    platforms.profiles[odd] = ["not", "a", "profile"]
    for psid in (failing, odd):  # failing: Graph's documented error answer (400, code 100)
        messenger_post(envelope(text_event(psid, "yes")))
        assert replies(platforms, psid, 1)[0]["text"] == "Great, carry on."
        [user] = rasa_server.user_events(f"messenger:{psid}")
        assert "display_name" not in user["metadata"] and "locale" not in user["metadata"]

    # slower than MESSENGER_PROFILE_TIMEOUT (2 s), within CONNECTOR_SEND_TIMEOUT (5 s): the reply
    # goes out before the profile arrives, and the customer's next message carries it
    platforms.profiles[slow] = {"first_name": "Анна", "last_name": "Петрова", "locale": "ru_RU"}
    platforms.profile_lookups.delays.append(3.5)
    messenger_post(envelope(text_event(slow, "yes")))
    [reply] = platforms.graph.wait_for(
        lambda r: r["json"].get("recipient", {}).get("id") == slow and "message" in r["json"]
    )
    [lookup] = platforms.profile_lookups.wait_for(lambda r: r["psid"] == slow)
    assert reply["time"] < lookup["time"] + 3.5, "the turn did not wait for the slow lookup"
    [first] = rasa_server.user_events(f"messenger:{slow}")
    assert "display_name" not in first["metadata"]
    time.sleep(max(0.0, lookup["time"] + 4.0 - time.monotonic()))
    messenger_post(envelope(text_event(slow, "no")))
    replies(platforms, slow, 2)
    second = rasa_server.user_events(f"messenger:{slow}")[1]
    assert (second["metadata"]["display_name"], second["metadata"]["locale"]) == ("Анна Петрова", "ru_RU")
    assert len(platforms.profile_lookups.matching(lambda r: r["psid"] == slow)) == 1

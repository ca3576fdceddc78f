"""X direct messages through a real `rasa run`: CRC, signatures, DM events, replies as X receives them."""

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import time

import httpx
import tweepy

from connectors.turns import ChoiceMemory
from connectors.twitter import ApiSession, TwitterOutput
from connectors.webhook import Limits

BOT_ID = "835740314006511618"
_ids = itertools.count(1)


def dm_event(sender, text, event_id=None, metadata=None):
    data = {"text": text}
    if metadata is not None:
        data["quick_reply_response"] = {"type": "options", "metadata": metadata}
    return {
        "type": "message_create",
        "id": event_id or f"9585{sender}{next(_ids)}",
        "created_timestamp": str(int(time.time() * 1000)),
        "message_create": {
            "target": {"recipient_id": BOT_ID},
            "sender_id": sender,
            "message_data": data,
        },
    }


def activity(*events):
    return {"for_user_id": BOT_ID, "direct_message_events": list(events), "users": {}}


def sent_to(platforms, user_id):
    return platforms.twitter.matching(lambda r: r.get("participant_id") == user_id)


def replies(platforms, user_id, count):
    found = platforms.twitter.wait_for(lambda r: r.get("participant_id") == user_id, count)
    return [r["json"]["text"] for r in found]


def test_crc_challenge_is_answered_with_the_hmac_of_the_token(rasa_server, secrets):
    started = time.monotonic()
    answer = httpx.get(
        f"{rasa_server.url}/webhooks/twitter/webhook", params={"crc_token": "test token"}, timeout=10
    )
    assert time.monotonic() - started < 3
    digest = hmac.new(secrets["TWITTER_CONSUMER_SECRET"].encode(), b"test token", hashlib.sha256).digest()
    assert answer.status_code == 200
    assert answer.json() == {"response_token": "sha256=" + base64.b64encode(digest).decode()}
    assert httpx.get(f"{rasa_server.url}/webhooks/twitter/webhook", timeout=10).status_code == 400


def test_dm_gets_numbered_reply_through_v2_endpoint_signed_with_oauth1(
    rasa_server, platforms, twitter_post, new_id, secrets
):
    user = new_id()
    assert twitter_post(activity(dm_event(user, "hello"))).status_code == 200
    [request] = platforms.twitter.wait_for(lambda r: r.get("participant_id") == user)
    assert request["path"] == f"/2/dm_conversations/with/{user}/messages"
    assert request["authorization"].startswith("OAuth ")
    assert f'oauth_consumer_key="{secrets["TWITTER_CONSUMER_KEY"]}"' in request["authorization"]
    assert request["json"] == {
        "text": "Hello! Pick one:\n\n1. Yes\n2. No\n3. I forgot which email I registered with"
    }
    twitter_post(activity(dm_event(user, "2")))  # answered with the number
    assert replies(platforms, user, 2)[1] == "Okay, no problem."


def test_text_is_unescaped_quick_reply_metadata_used_and_own_dms_skipped(
    rasa_server, platforms, twitter_post, new_id
):
    user = new_id()
    own = dm_event(BOT_ID, "hello")
    own["message_create"]["target"]["recipient_id"] = user
    body = activity(own, dm_event(user, "Hello World &amp; good wishes.", event_id=f"e1{user}"))
    body["users"] = {user: {"id": user, "name": "Zoë <b>Martin</b>", "screen_name": "someone", "lang": "fr"}}
    twitter_post(body)
    replies(platforms, user, 1)
    twitter_post(activity(dm_event(user, "Yes", metadata="/affirm")))
    assert replies(platforms, user, 2)[1] == "Great, carry on."

    events = rasa_server.user_events(f"twitter:{user}")
    assert [e["text"] for e in events] == ["Hello World & good wishes.", "/affirm"]
    meta = events[0]["metadata"]
    assert (meta["channel"], meta["platform_message_id"], meta["locale"]) == ("twitter", f"e1{user}", "fr")
    assert (meta["display_name"], meta["username"]) == ("Zoë <b>Martin</b>", "someone")  # shown escaped
    assert events[0]["input_channel"] == "twitter"
    assert not sent_to(platforms, BOT_ID)
    assert rasa_server.user_events(f"twitter:{BOT_ID}") == []


def test_every_event_of_a_batch_is_handled_and_redeliveries_once(
    rasa_server, platforms, twitter_post, new_id
):
    first, second = new_id(), new_id()
    duplicate = dm_event(first, "yes", event_id=f"dup{first}")
    body = activity(duplicate, dm_event(second, "no"))
    body["favorite_events"] = [{"id": "1"}]  # another event type in the same POST: ignored
    assert twitter_post(body).status_code == 200
    assert twitter_post(activity(duplicate)).status_code == 200
    twitter_post(activity(dm_event(first, "no")))
    assert replies(platforms, first, 2) == ["Great, carry on.", "Okay, no problem."]
    assert replies(platforms, second, 1) == ["Okay, no problem."]
    assert len(sent_to(platforms, first)) == 2


def test_missing_wrong_and_replayed_signatures_get_403(
    rasa_server, platforms, twitter_post, new_id, signatures
):
    user = new_id()
    body = json.dumps(activity(dm_event(user, "hello"))).encode()
    other = json.dumps(activity(dm_event(new_id(), "hello"))).encode()
    assert twitter_post(body, signature=None).status_code == 403
    assert twitter_post(body, signature="sha256=AAAA").status_code == 403
    assert twitter_post(body, signature=signatures.twitter(body, "wrong-secret")).status_code == 403
    assert twitter_post(body, signature=signatures.twitter(other)).status_code == 403
    time.sleep(0.5)
    assert rasa_server.user_events(f"twitter:{user}") == []
    assert not sent_to(platforms, user)


def test_malformed_unknown_and_oversized_bodies(rasa_server, platforms, twitter_post, new_id):
    assert twitter_post(b"{not json").status_code == 400
    assert twitter_post(b'"a string"').status_code == 400
    assert twitter_post({"for_user_id": BOT_ID, "tweet_create_events": [{}]}).status_code == 200
    weird = {"for_user_id": BOT_ID, "direct_message_events": [{"type": "message_create"}, 5, {"type": "x"}]}
    assert twitter_post(weird).status_code == 200
    assert twitter_post(activity(dm_event(new_id(), "y" * 100_000))).status_code == 413
    user = new_id()
    twitter_post(activity(dm_event(user, "yes")))
    assert replies(platforms, user, 1) == ["Great, carry on."]


def test_v1_quick_replies_where_allowed_numbered_text_otherwise(platforms, secrets):
    """The v1.1 rendering, driven in-process through tweepy's own request code to the fake X."""
    api = tweepy.API(
        tweepy.OAuth1UserHandler(
            secrets["TWITTER_CONSUMER_KEY"],
            secrets["TWITTER_CONSUMER_SECRET"],
            secrets["TWITTER_ACCESS_TOKEN"],
            secrets["TWITTER_ACCESS_TOKEN_SECRET"],
        )
    )
    api.session = ApiSession(platforms.url("twitter"), timeout=5)
    output = TwitterOutput(None, api, ChoiceMemory(), Limits(send_timeout=5))
    short = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
    long = short + [{"title": "x" * 37, "payload": "/other"}]
    asyncio.run(output.send_text_with_buttons("twitter:77001", "Sure?", short))
    asyncio.run(output.send_text_with_buttons("twitter:77001", "Sure?", long))

    sent = platforms.twitter.wait_for(lambda r: r["api"] == "v1.1", 2)
    first, second = (r["json"]["event"]["message_create"] for r in sent)
    assert first["target"]["recipient_id"] == "77001"
    assert first["message_data"]["quick_reply"] == {
        "type": "options",
        "options": [{"label": "Yes", "metadata": "/affirm"}, {"label": "No", "metadata": "/deny"}],
    }
    assert "quick_reply" not in second["message_data"]
    assert second["message_data"]["text"] == f"Sure?\n\n1. Yes\n2. No\n3. {'x' * 37}"
    assert sent[0]["authorization"].startswith("OAuth ")

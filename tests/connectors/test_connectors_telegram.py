"""Telegram through a real `rasa run`: secret token, PTB parsing, replies as the Bot API receives them."""

import itertools
import json
import time

import httpx
import pytest

from connectors.telegram import register_webhook

_updates = itertools.count(500000)


def message_update(chat_id, text, language="en", chat_type="private", update_id=None, message_id=None):
    user = {"id": int(chat_id), "is_bot": False, "first_name": "Test", "language_code": language}
    return {
        "update_id": update_id or next(_updates),
        "message": {
            "message_id": message_id or next(_updates),
            "date": int(time.time()),
            "chat": {"id": int(chat_id), "type": chat_type, "first_name": "Test"},
            "from": user,
            "text": text,
        },
    }


def callback_update(chat_id, data, query_id):
    user = {"id": int(chat_id), "is_bot": False, "first_name": "Test", "language_code": "fr"}
    return {
        "update_id": next(_updates),
        "callback_query": {
            "id": query_id,
            "from": user,
            "chat_instance": "-123",
            "data": data,
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": int(chat_id), "type": "private"},
                "text": "Hello! Pick one:",
            },
        },
    }


def calls(platforms, chat_id, method="sendMessage"):
    return platforms.telegram.matching(
        lambda r: r["method"] == method and str(r["fields"].get("chat_id")) == chat_id
    )


def sent(platforms, chat_id, count):
    found = platforms.telegram.wait_for(
        lambda r: r["method"] == "sendMessage" and str(r["fields"].get("chat_id")) == chat_id, count
    )
    return [r["fields"] for r in found]


def test_updates_without_the_right_secret_token_get_403(rasa_server, platforms, telegram_post, new_id):
    chat = new_id()
    assert telegram_post(message_update(chat, "hello"), secret=None).status_code == 403
    assert telegram_post(message_update(chat, "hello"), secret="guess").status_code == 403
    time.sleep(0.5)
    assert rasa_server.user_events(f"telegram:{chat}") == []
    assert not calls(platforms, chat)


def test_message_gets_reply_with_inline_keyboard_and_locale_metadata(
    rasa_server, platforms, telegram_post, new_id, secrets
):
    chat = new_id()
    update = message_update(chat, "hello", language="ru")
    update["message"]["from"].update({"first_name": "Иван", "last_name": "Петров", "username": "ivan_p"})
    assert telegram_post(update).status_code == 200
    [fields] = sent(platforms, chat, 1)
    [request] = calls(platforms, chat)
    assert request["token"] == secrets["TELEGRAM_BOT_TOKEN"]
    assert fields["text"] == "Hello! Pick one:"
    assert json.loads(fields["reply_markup"]) == {
        "inline_keyboard": [
            [{"text": "Yes", "callback_data": "/affirm"}],
            [{"text": "No", "callback_data": "/deny"}],
            [{"text": "I forgot which email I registered with", "callback_data": "/forgot_email"}],
        ]
    }
    [user] = rasa_server.user_events(f"telegram:{chat}")
    assert user["input_channel"] == "telegram"
    assert user["metadata"]["channel"] == "telegram"
    assert user["metadata"]["locale"] == "ru"
    assert (user["metadata"]["display_name"], user["metadata"]["username"]) == ("Иван Петров", "ivan_p")
    assert user["metadata"]["platform_message_id"]
    # the first message's metadata is what a custom action_session_start reads the language from
    assert rasa_server.tracker(f"telegram:{chat}")["slots"]["session_started_metadata"]["locale"] == "ru"


def test_button_tap_is_answered_and_its_data_reaches_rasa(rasa_server, platforms, telegram_post, new_id):
    chat = new_id()
    assert telegram_post(callback_update(chat, "/affirm", f"q{chat}")).status_code == 200
    assert [f["text"] for f in sent(platforms, chat, 1)] == ["Great, carry on."]
    answers = platforms.telegram.matching(
        lambda r: r["method"] == "answerCallbackQuery" and r["fields"].get("callback_query_id") == f"q{chat}"
    )
    assert len(answers) == 1


def test_start_command_greets(rasa_server, platforms, telegram_post, new_id):
    chat = new_id()
    telegram_post(message_update(chat, "/start"))
    assert sent(platforms, chat, 1)[0]["text"] == "Hello! Pick one:"


def test_redelivered_update_is_processed_once_and_group_chats_ignored(
    rasa_server, platforms, telegram_post, new_id
):
    chat = new_id()
    update = message_update(chat, "yes")
    assert telegram_post(update).status_code == 200
    assert telegram_post(update).status_code == 200
    group = message_update(chat, "no", chat_type="group")
    group["message"]["chat"]["title"] = "friends"
    assert telegram_post(group).status_code == 200
    telegram_post(message_update(chat, "no"))
    sent(platforms, chat, 2)
    assert [f["text"] for f in (r["fields"] for r in calls(platforms, chat))] == [
        "Great, carry on.",
        "Okay, no problem.",
    ]


def test_malformed_unknown_and_oversized_updates(rasa_server, platforms, telegram_post, new_id):
    assert telegram_post(b"{{{").status_code == 400
    assert telegram_post(b"[]").status_code == 400
    assert telegram_post({"update_id": 1, "message": {"text": "no chat or date"}}).status_code == 400
    odd = message_update(new_id(), "hello")
    odd["message"]["text"] = {"not": "text"}
    assert telegram_post(odd).status_code == 400
    edited = message_update(new_id(), "hello")
    edited["edited_message"] = edited.pop("message")
    assert telegram_post(edited).status_code == 200
    assert telegram_post(message_update(new_id(), "z" * 100_000)).status_code == 413
    chat = new_id()
    telegram_post(message_update(chat, "yes"))
    assert sent(platforms, chat, 1)[0]["text"] == "Great, carry on."


def test_agent_message_through_rasa_http_api_reaches_the_chat(rasa_server, platforms, telegram_post, new_id):
    chat = new_id()
    telegram_post(message_update(chat, "yes"))
    sent(platforms, chat, 1)
    httpx.post(
        f"{rasa_server.url}/conversations/telegram:{chat}/tracker/events",
        params={"output_channel": "latest", "execute_side_effects": "true"},
        json=[{"event": "bot", "text": "An agent joins."}],
        timeout=10,
    ).raise_for_status()
    assert sent(platforms, chat, 2)[1]["text"] == "An agent joins."


def test_secrets_never_reach_the_log(rasa_server, platforms, telegram_post, new_id, secrets):
    """httpx logs every request URL, and Telegram's contain the bot token: the log must not."""
    chat = new_id()
    telegram_post(message_update(chat, "hello"))
    sent(platforms, chat, 1)
    log = rasa_server.log()
    assert "sendMessage" in log  # the library's request log line is there ...
    for name, value in secrets.items():
        assert value not in log, f"{name} leaked into the log"  # ... without the token


@pytest.mark.asyncio
async def test_register_webhook_calls_set_webhook_with_the_secret(platforms, secrets, monkeypatch):
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET"):
        monkeypatch.setenv(name, secrets[name])
    monkeypatch.setenv("TELEGRAM_API_URL", platforms.url("telegram"))

    url = await register_webhook("https://bot.example.com/")

    assert url == "https://bot.example.com/webhooks/telegram/webhook"
    [call] = platforms.telegram.wait_for(lambda r: r["method"] == "setWebhook")
    assert call["token"] == secrets["TELEGRAM_BOT_TOKEN"]
    assert call["fields"]["url"] == url
    assert call["fields"]["secret_token"] == secrets["TELEGRAM_WEBHOOK_SECRET"]
    assert json.loads(call["fields"]["allowed_updates"]) == ["message", "callback_query"]


def test_taps_the_assistant_ignores_are_still_answered(rasa_server, platforms, telegram_post, new_id):
    chat = new_id()
    tap = callback_update(chat, "/affirm", f"group{chat}")
    tap["callback_query"]["message"]["chat"] = {"id": -int(chat), "type": "group", "title": "friends"}
    assert telegram_post(tap).status_code == 200
    platforms.telegram.wait_for(
        lambda r: (
            r["method"] == "answerCallbackQuery" and r["fields"].get("callback_query_id") == f"group{chat}"
        )
    )
    assert rasa_server.user_events(f"telegram:-{chat}") == []
    assert not calls(platforms, f"-{chat}")

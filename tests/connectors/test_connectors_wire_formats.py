"""Published signature vectors, the platforms' sample payloads, rendering limits and configuration rules."""

import asyncio
import logging

import pytest
from pymessenger import Bot as GraphBot
from telegram import Bot, Update

from bot.runtime.log_scrubber import protect_secrets
from connectors import messenger, telegram, twitter
from connectors.output import split_text
from connectors.rest import RestInput, in_platform_namespace
from connectors.turns import Choice, ChoiceMemory, Incoming, Profile, numbered_text
from connectors.webhook import ChannelConfigurationError, Limits

CHANNEL_VARIABLES = (
    messenger.REQUIRED_VARIABLES
    + twitter.REQUIRED_VARIABLES
    + telegram.REQUIRED_VARIABLES
    + ("REST_CHANNEL_TOKEN", "TWITTER_DM_API", "CONNECTOR_MAX_BODY_BYTES", "CONNECTOR_SEND_TIMEOUT")
    + ("MESSENGER_PROFILE_LOOKUP", "MESSENGER_PROFILE_TIMEOUT")
)


@pytest.fixture
def no_channel_env(monkeypatch):
    for name in CHANNEL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


# --- signatures ---------------------------------------------------------------------------


def test_hub_signature_256_matches_githubs_published_vector():
    assert messenger.expected_signature("It's a Secret to Everybody", b"Hello, World!") == (
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    )


@pytest.mark.parametrize(
    "secret, token, expected",
    [
        ("apiSecret", "test token", "sha256=O5hJl2njQRIa4vsumZ+3oom9ECR5m3aQLRZkPoYelp0="),
        ("DDD", "some_random", "sha256=VE19eUk6krbdSqWPdvH71xtFhApBAU81uPW3UT65vOs="),
        (
            "z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu",
            "9b4507b3-9040-4669-9ca3-6b94edb50553",
            "sha256=Cytd4Sq+NvEcV3MMrXxWJGJx5A+y/lXzzU2Maartkx8=",
        ),
    ],
)
def test_x_crc_response_matches_published_vectors(secret, token, expected):
    assert twitter.crc_response_token(secret, token) == expected


@pytest.mark.parametrize(
    "body, expected",
    [
        (b'{"key":"value"}', "sha256=EERHBy/k17v+SuT+K0OXuwhJtKnPtxi0n/Y4Wye4kVU="),
        (b'{"for_user_id":123,"key":"value"}', "sha256=JjEmBe1lVKT8XldrYUKibF+D5ehp8f0jDk3PXZSHEWI="),
    ],
)
def test_x_webhook_signature_matches_published_vectors(body, expected):
    assert twitter.signature("DDD", body) == expected


# --- sample payloads ----------------------------------------------------------------------


def test_messenger_sample_text_message():
    payload = {
        "object": "page",
        "entry": [
            {
                "id": "1234567890",
                "messaging": [
                    {
                        "message": {"text": "Hello World", "mid": "external_id"},
                        "recipient": {"id": "1234567890"},
                        "sender": {"id": "5678"},
                        "timestamp": 1459991487970,
                    }
                ],
                "time": 1459991487970,
            }
        ],
    }  # noqa: E501
    assert messenger.parse_events(payload) == [
        Incoming(user_id="5678", text="Hello World", message_id="external_id")
    ]


def test_messenger_quick_reply_postback_and_skipped_events():
    events = [
        {
            "sender": {"id": "1"},
            "message": {"mid": "a", "text": "Yes", "quick_reply": {"payload": "/affirm"}},
        },
        {"sender": {"id": "1"}, "postback": {"title": "No", "payload": "/deny", "mid": "b"}},
        {"sender": {"id": "9"}, "message": {"mid": "c", "text": "hi", "is_echo": True}},
        {"sender": {"id": "1"}, "delivery": {"watermark": 1}},
        {"sender": {"id": "1"}, "read": {"watermark": 1}},
        {"sender": {"id": "1"}, "message": {"mid": "d", "attachments": [{"type": "image"}]}},
    ]
    payload = {"object": "page", "entry": [{"messaging": events[:3]}, {"messaging": events[3:]}]}
    assert [(i.text, i.message_id) for i in messenger.parse_events(payload)] == [
        ("/affirm", "a"),
        ("/deny", "b"),
    ]


def test_x_sample_direct_message_is_unescaped():
    payload = {
        "direct_message_events": [
            {
                "type": "message_create",
                "id": "958501034212564996",
                "created_timestamp": "1517359429301",
                "message_create": {
                    "target": {"recipient_id": "835740314006511618"},
                    "sender_id": "272953809",
                    "message_data": {"text": "Hello World &amp; good wishes."},
                },
            }
        ],
        "users": {
            "272953809": {
                "id": "272953809",
                "created_timestamp": "1301236201000",
                "name": "Nicolas Pottier",
                "screen_name": "nicpottier",
            },
            "835740314006511618": {
                "id": "835740314006511618",
                "created_timestamp": "1488090992969",
                "name": "Resistbot",
                "screen_name": "resistbot",
            },
        },
    }  # noqa: E501
    assert twitter.parse_events(payload) == [
        Incoming(
            user_id="272953809",
            text="Hello World & good wishes.",
            message_id="958501034212564996",
            profile=Profile(name="Nicolas Pottier", username="nicpottier"),
        )
    ]
    payload["for_user_id"] = "272953809"  # seen from the sender's side it is its own DM
    assert twitter.parse_events(payload) == []


def test_telegram_sample_updates_parse_with_ptb():
    bot = Bot("123:ABC")
    message = {
        "update_id": 10000,
        "message": {
            "date": 1441645532,
            "chat": {
                "last_name": "Test Lastname",
                "id": 1111111,
                "type": "private",
                "first_name": "Test Firstname",
                "username": "Testusername",
            },
            "message_id": 1365,
            "from": {
                "last_name": "Test Lastname",
                "id": 1111111,
                "is_bot": False,
                "first_name": "Test Firstname",
                "username": "Testusername",
            },
            "text": "/start",
        },
    }  # noqa: E501
    callback = {
        "update_id": 10000,
        "callback_query": {
            "id": "4382bfdwdsb323b2d9",
            "from": {
                "last_name": "Test Lastname",
                "id": 1111111,
                "is_bot": False,
                "first_name": "Test Firstname",
                "username": "Testusername",
            },
            "chat_instance": "-123",
            "data": "Data from button callback",
            "inline_message_id": "1234csdbsk4839",
        },
    }  # noqa: E501
    names = Profile(name="Test Firstname Test Lastname", username="Testusername")
    assert telegram.parse_update(Update.de_json(message, bot)) == Incoming(
        user_id="1111111", text="/greet", message_id="1365", profile=names
    )
    assert telegram.parse_update(Update.de_json(callback, bot)) == Incoming(
        user_id="1111111", text="Data from button callback", message_id="4382bfdwdsb323b2d9", profile=names
    )
    message["message"]["from"]["language_code"] = "fr"
    message["message"]["text"] = "Bonjour"
    assert telegram.parse_update(Update.de_json(message, bot)).locale == "fr"


ODD_VALUES = [None, 5, "x", [], {}, [None], [5], {"id": {}}, True]


def test_parsers_never_crash_on_odd_shapes():
    for odd in ODD_VALUES:
        message = {"sender": {"id": "1"}, "message": {"mid": odd, "text": odd, "quick_reply": odd}}
        for payload in (
            {"object": "page", "entry": odd},
            {"object": "page", "entry": [{"messaging": odd}]},
            {"object": "page", "entry": [{"messaging": [{"sender": odd, "message": odd, "postback": odd}]}]},
            {"object": "page", "entry": [{"messaging": [message]}]},
        ):
            messenger.parse_events(payload)
        data = {"text": odd, "quick_reply_response": {"metadata": odd}}
        for payload in (
            {"for_user_id": odd, "direct_message_events": odd, "users": odd},
            {"direct_message_events": [{"type": "message_create", "id": odd, "message_create": odd}]},
            {
                "users": {"7": odd},
                "direct_message_events": [
                    {
                        "type": "message_create",
                        "id": "1",
                        "message_create": {"sender_id": "7", "message_data": data},
                    }
                ],
            },
        ):
            twitter.parse_events(payload)


def test_display_names_are_type_checked_bounded_and_cleaned_whatever_the_platform_sends():
    bot = Bot("123:ABC")
    for odd in ODD_VALUES:
        user = {"name": odd, "screen_name": odd}
        payload = {
            "users": {"7": user},
            "direct_message_events": [
                {
                    "type": "message_create",
                    "id": "1",
                    "message_create": {"sender_id": "7", "message_data": {"text": "hi"}},
                }
            ],
        }
        [incoming] = twitter.parse_events(payload)
        assert incoming.profile in (None, Profile(name="x", username="x"))
        update = {
            "update_id": 1,
            "message": {
                "message_id": 2,
                "date": 1441645532,
                "chat": {"id": 7, "type": "private"},
                "from": {"id": 7, "is_bot": False, "first_name": odd, "last_name": odd, "username": odd},
                "text": "hi",
            },
        }
        try:
            parsed = telegram.parse_update(Update.de_json(update, bot))
        except TypeError:
            continue  # PTB refuses some shapes itself (the webhook answers 400)
        assert parsed is not None and parsed.profile in (None, Profile(name="x x", username="x"))
    # a forged megabyte, lone surrogates, control characters and line breaks: one clean, short line
    forged = Profile.checked(
        "Zoë\ud800\x00\n\n  O'Brien" + "e" * 1_000_000, "<b>Smith</b>", username="@evil name"
    )
    assert forged is not None and forged.username is None
    assert forged.name is not None and len(forged.name) == 128
    assert forged.name.startswith("Zoë\ufffd O'Brien") and "\x00" not in forged.name
    assert Profile.checked(None, "", "   ", username=42) is None
    assert Profile.checked("Анна", None, username="@anna_petrova").metadata() == {
        "display_name": "Анна",
        "username": "anna_petrova",
    }


def test_a_messenger_profile_answer_gives_names_and_locale_only_in_its_documented_shape():
    answer = b'{"first_name": "Peter", "last_name": "Chang", "locale": "en_US", "id": "5678"}'
    assert messenger.profile_from_answer(answer) == (Profile(name="Peter Chang"), "en_US")
    error = b'{"error": {"message": "Unsupported get request.", "type": "GraphMethodException", "code": 100}}'
    assert messenger.profile_from_answer(error) == (None, None)
    for odd in (b"[]", b"not json", b'{"first_name": 5, "last_name": ["x"], "locale": {}}', b"[" * 50):
        assert messenger.profile_from_answer(odd) == (None, None)


# --- rendering ----------------------------------------------------------------------------


def test_messenger_quick_replies_only_within_limits():
    fits = [Choice("x" * 20, "/a")] * 13
    assert len(messenger.quick_reply_message("Pick", fits)["quick_replies"]) == 13
    assert messenger.quick_reply_message("Pick", fits + [Choice("y", "/b")]) is None
    assert messenger.quick_reply_message("Pick", [Choice("x" * 21, "/a")]) is None


def test_messenger_more_than_13_options_become_numbered_text_through_pymessenger(platforms):
    bot = GraphBot("token-for-test", api_version="23.0")
    bot.graph_url = f"{platforms.url('graph')}/v23.0"
    memory = ChoiceMemory()
    output = messenger.MessengerOutput(bot, memory, Limits(send_timeout=5))
    buttons = [{"title": f"Option {n}", "payload": f"/choose{n}"} for n in range(1, 15)]
    asyncio.run(output.send_text_with_buttons("messenger:31337", "Pick one", buttons))
    asyncio.run(output.send_text_with_buttons("messenger:31338", "Pick", buttons[:2]))

    [numbered] = platforms.graph.wait_for(lambda r: r["json"]["recipient"]["id"] == "31337")
    message = numbered["json"]["message"]
    assert "quick_replies" not in message
    assert message["text"].startswith("Pick one\n\n1. Option 1\n2. Option 2\n")
    assert message["text"].endswith("14. Option 14")
    assert numbered["json"]["messaging_type"] == "RESPONSE"
    assert memory.resolve("messenger:31337", "14") == "/choose14"
    [titled] = platforms.graph.wait_for(lambda r: r["json"]["recipient"]["id"] == "31338")
    assert titled["json"]["message"]["quick_replies"] == [
        {"content_type": "text", "title": "Option 1", "payload": "/choose1"},
        {"content_type": "text", "title": "Option 2", "payload": "/choose2"},
    ]


def test_telegram_keyboard_sends_long_payloads_as_their_number():
    markup, numbered = telegram.keyboard(
        [{"title": "Short", "payload": "/affirm"}, {"title": "Long", "payload": "/inform" + "x" * 60}]
    )
    data = [row[0].callback_data for row in markup.inline_keyboard]
    assert data == ["/affirm", "2"] and numbered


def test_choice_memory_maps_the_next_number_only():
    memory = ChoiceMemory()
    memory.offer("telegram:1", [Choice("Yes", "/affirm"), Choice("No", "/deny")])
    assert memory.resolve("telegram:1", " 2. ") == "/deny"
    assert memory.resolve("telegram:1", "2") == "2"  # the offer is used up
    memory.offer("telegram:1", [Choice("Yes", "/affirm")])
    assert memory.resolve("telegram:1", "I have 2 accounts") == "I have 2 accounts"
    assert memory.resolve("telegram:1", "1") == "1"  # any message forgets the offer
    memory.offer("telegram:1", [Choice("Yes", "/affirm")])
    assert memory.resolve("telegram:1", "5") == "5"


def test_numbered_text_and_split_text():
    assert numbered_text("Pick", [Choice("A", "/a"), Choice("B", "/b")]) == "Pick\n\n1. A\n2. B"
    pieces = split_text("word " * 1000, 2000)
    assert all(len(p) <= 2000 for p in pieces) and " ".join(pieces).split() == ["word"] * 1000
    assert split_text("x" * 4500, 2000) == ["x" * 2000, "x" * 2000, "x" * 500]


def test_rest_namespace_guard():
    for sender in ("messenger:1", "TELEGRAM:2", " twitter :3"):
        assert in_platform_namespace(sender)
    for sender in ("alice", "web:messenger:1", "console-try-it", "messenger"):
        assert not in_platform_namespace(sender)


# --- configuration ------------------------------------------------------------------------


def test_platform_without_variables_is_off_and_says_how_to_switch_it_on(no_channel_env, caplog):
    caplog.set_level(logging.INFO)
    channel = telegram.TelegramInput.from_credentials(None)
    assert channel.get_output_channel() is None
    assert (
        "The telegram channel is off: set TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET to switch it on."
        in caplog.text
    )


def test_partial_variables_and_bad_values_fail_with_a_clear_error(no_channel_env):
    no_channel_env.setenv("TWITTER_CONSUMER_KEY", "k" * 20)
    no_channel_env.setenv("TWITTER_ACCESS_TOKEN", "t" * 20)
    with pytest.raises(
        ChannelConfigurationError, match="TWITTER_CONSUMER_SECRET, TWITTER_ACCESS_TOKEN_SECRET are missing"
    ):
        twitter.TwitterInput.from_credentials(None)
    no_channel_env.setenv("TWITTER_CONSUMER_SECRET", "s" * 20)
    no_channel_env.setenv("TWITTER_ACCESS_TOKEN_SECRET", "u" * 20)
    no_channel_env.setenv("TWITTER_DM_API", "v3")
    with pytest.raises(ChannelConfigurationError, match="TWITTER_DM_API"):
        twitter.TwitterInput.from_credentials(None)

    no_channel_env.setenv("TELEGRAM_BOT_TOKEN", "123:abcdefgh")
    no_channel_env.setenv("TELEGRAM_WEBHOOK_SECRET", "has spaces and !")
    with pytest.raises(ChannelConfigurationError, match="TELEGRAM_WEBHOOK_SECRET must be"):
        telegram.TelegramInput.from_credentials(None)

    for variable, value in (("MESSENGER_PROFILE_TIMEOUT", "soon"), ("MESSENGER_PROFILE_LOOKUP", "yes")):
        with no_channel_env.context() as patched:
            patched.setenv(variable, value)
            with pytest.raises(ChannelConfigurationError, match=variable):
                messenger.MessengerInput.from_credentials(None)

    no_channel_env.setenv("CONNECTOR_MAX_BODY_BYTES", "lots")
    with pytest.raises(ChannelConfigurationError, match="CONNECTOR_MAX_BODY_BYTES"):
        RestInput.from_credentials(None)


def test_keys_in_credentials_yml_are_refused(no_channel_env):
    with pytest.raises(ChannelConfigurationError, match="takes no keys in credentials.yml"):
        messenger.MessengerInput.from_credentials({"page-access-token": "x"})


def test_registered_secrets_are_scrubbed_from_log_records_and_tracebacks(caplog):
    secret = "scrub-me-0123456789:ABC"
    protect_secrets([secret])
    logger = logging.getLogger("tests.connectors.scrub")
    with caplog.at_level(logging.INFO, logger="tests.connectors.scrub"):
        logger.info("GET https://api.example/bot%s/sendMessage", secret)
        try:
            raise RuntimeError(f"failed for https://api.example/bot{secret}")
        except RuntimeError:
            logger.exception("send failed")
    text = caplog.text
    assert secret not in text and "scrub-me-0123456789%3AABC" not in text
    assert "bot***/sendMessage" in text


def test_register_webhook_needs_the_variables_and_a_public_url(no_channel_env):
    with pytest.raises(ChannelConfigurationError, match="Set TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET"):
        asyncio.run(telegram.register_webhook("https://bot.example.com"))
    full = "https://bot.example.com/webhooks/telegram/webhook"
    assert telegram.webhook_url(full) == full
    assert telegram.webhook_url("https://bot.example.com/") == full
    with pytest.raises(ChannelConfigurationError, match="public URL"):
        telegram.webhook_url("bot.example.com")

"""Start-up of `rasa run`: a newcomer's run without any platform account, and half-configured platforms."""

import httpx
import pytest

PLATFORM_VARIABLES = {
    "messenger": ("MESSENGER_PAGE_ACCESS_TOKEN", "MESSENGER_APP_SECRET", "MESSENGER_VERIFY_TOKEN"),
    "twitter": (
        "TWITTER_CONSUMER_KEY",
        "TWITTER_CONSUMER_SECRET",
        "TWITTER_ACCESS_TOKEN",
        "TWITTER_ACCESS_TOKEN_SECRET",
    ),
    "telegram": ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET"),
}


PARTIAL_SECRET = "partial-secret-value-0123456789"


@pytest.fixture(scope="module")
def runs(rasa_runner):
    """Started together to save time: a newcomer's run (the four channels in credentials.yml,
    no channel variable at all) and, per platform, a run given only its first variable."""
    partial = {
        channel: rasa_runner.launch({variables[0]: PARTIAL_SECRET}, f"rasa-partial-{channel}")
        for channel, variables in PLATFORM_VARIABLES.items()
    }
    newcomer = rasa_runner.launch({}, "rasa-newcomer")
    rasa_runner.ready(newcomer)
    return {"newcomer": newcomer, **{c: rasa_runner.outcome(s) for c, s in partial.items()}}


@pytest.fixture(scope="module")
def newcomer(runs):
    return runs["newcomer"]


def test_start_up_log_names_the_variables_that_switch_each_platform_on(newcomer):
    log = newcomer.log()
    for channel, variables in PLATFORM_VARIABLES.items():
        assert f"The {channel} channel is off: set {', '.join(variables)} to switch it on." in log
    assert "The rest channel is open to any caller: set REST_CHANNEL_TOKEN" in log
    assert "Traceback" not in log


def test_disabled_platform_routes_answer_503_and_rest_still_works(newcomer):
    for channel in PLATFORM_VARIABLES:
        base = f"{newcomer.url}/webhooks/{channel}"
        assert httpx.get(f"{base}/", timeout=10).status_code == 503
        assert httpx.get(f"{base}/webhook", params={"crc_token": "x"}, timeout=10).status_code == 503
        answer = httpx.post(f"{base}/webhook", json={"object": "page"}, timeout=10)
        assert answer.status_code == 503
        assert answer.json()["enable_with"] == list(PLATFORM_VARIABLES[channel])
    reply = httpx.post(
        f"{newcomer.url}/webhooks/rest/webhook", json={"sender": "newcomer", "message": "yes"}, timeout=10
    )
    assert reply.status_code == 200 and reply.json()[0]["text"] == "Great, carry on."


@pytest.mark.parametrize("channel", list(PLATFORM_VARIABLES))
def test_partly_configured_platform_stops_start_up_naming_the_missing_variable(runs, channel):
    _, *missing = PLATFORM_VARIABLES[channel]
    exit_code, output = runs[channel]
    assert exit_code not in (0, None)
    assert f"The {channel} channel is only partly configured" in output
    for name in missing:
        assert name in output
    assert "Traceback" not in output
    assert PARTIAL_SECRET not in output

"""The real assistant under failures: hostile identifiers, and an action server that is away."""

import json
import uuid
from pathlib import Path

import httpx
import yaml
from harness import Assistant

ROOT = Path(__file__).resolve().parents[3]


def english(response: str) -> str:
    """The English text of a domain response, read from domain.yml."""
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return next(v["text"] for v in domain["responses"][response] if "condition" not in v)


def test_a_lone_surrogate_sender_gets_400_and_rasa_keeps_serving(assistant: Assistant) -> None:
    raw = b'{"sender": "sur\\ud800", "message": "hi"}'
    answer = httpx.post(
        f"{assistant.rasa_url}/webhooks/rest/webhook",
        content=raw,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert answer.status_code == 400
    assert assistant.supervisor.service("rasa").process.poll() is None
    assert assistant.say(f"t-{uuid.uuid4().hex}", "I forgot my password")


def test_while_the_action_server_is_away_customers_get_the_truth(assistant: Assistant) -> None:
    sender = f"t-{uuid.uuid4().hex}"
    assistant.say(sender, "I forgot my password")
    assistant.supervisor.stop_service("actions", hard=True)
    try:
        replies = assistant.say(sender, "/affirm")
    finally:
        assistant.supervisor.start_service("actions")
    said = "\n".join(r.get("text", "") for r in replies)
    assert said == english("utter_service_unavailable"), json.dumps(replies, ensure_ascii=False)
    assert any(b["payload"] == "/request_human" for r in replies for b in r.get("buttons", []))
    tracker = assistant.tracker(sender)
    assert tracker["active_loop"] in ({}, None) or not tracker["active_loop"].get("name")
    # back up: the same request now works
    assert "Which email address" in "\n".join(
        r.get("text", "")
        for r in (assistant.say(sender, "I forgot my password"), assistant.say(sender, "/affirm"))[1]
    )

"""The console in a real headless Chromium, over the real assistant: an agent signs in, filters,
reads a transcript, takes a conversation over, replies, hands it back, corrects and exports.

Set CONSOLE_SCREENSHOT_DIR (e.g. to docs) to save the screenshots the README shows.
"""

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from console_support import PASSWORD
from playwright.sync_api import Page, expect
from support import wait_for

from services.console import catalog

TIMEOUT_MS = 20_000
SCREENSHOTS = os.environ.get("CONSOLE_SCREENSHOT_DIR", "")


def _sender(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def pages(browser, stack) -> Iterator:
    """Opens signed-in pages (one browser context each, like separate people); closes them after the test."""
    contexts = []

    def open_as(user: str) -> Page:
        context = browser.new_context(
            viewport={"width": 1400, "height": 900}, base_url=stack.console.url, accept_downloads=True
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto("/conversations")
        expect(page).to_have_url(re.compile(r"/login\?next="))
        page.fill("input[name=username]", user)
        page.fill("input[name=password]", PASSWORD)
        page.click("button:has-text('Sign in')")
        expect(page).to_have_url(re.compile(r"/conversations$"))
        return page

    try:
        yield open_as
    finally:
        for context in contexts:
            context.close()


def _listed(page: Page) -> list:
    return page.locator("#conversation-list tbody td:first-child a").all_inner_texts()


def _bot_texts(stack, sender: str) -> list:
    return [e.get("text") for e in stack.tracker(sender)["events"] if e["event"] == "bot"]


def test_agent_filters_takes_over_replies_and_hands_back(stack, pages) -> None:
    customer, french = _sender("web-en"), _sender("web-fr")
    assert "support team" in stack.say(customer, "I want to talk to a person")[0]["text"]
    stack.say(french, "je ne reçois pas le mail de confirmation")
    page = pages("alice")

    page.goto("/conversations")
    assert {customer, french} <= set(_listed(page))
    page.select_option("select[name=language]", "fr")
    page.click("#filters button[type=submit]")
    assert french in _listed(page) and customer not in _listed(page)
    page.goto("/conversations")
    page.fill("input[name=q]", "talk to a person")
    page.click("#filters button[type=submit]")
    assert customer in _listed(page) and french not in _listed(page)
    if SCREENSHOTS:  # a fuller list for the README
        for prefix, text in (
            ("web-ru", "я не помню пароль"),
            ("web-fr", "blablabla qwertz zut"),
            ("web-en", "the password reset email never arrives"),
        ):
            stack.say(_sender(prefix), text)
        page.goto("/conversations")
        page.screenshot(path=str(Path(SCREENSHOTS) / "console-list.png"))

    page.goto("/handoffs")
    row = page.locator("#handoff-queue tr", has_text=customer)
    expect(row).to_contain_text("waiting")
    row.locator("button:has-text('Take over')").click()
    expect(page.locator(".notice")).to_contain_text("taken this conversation over")
    customer_message = page.locator("#transcript .msg.customer").first
    expect(customer_message).to_contain_text("I want to talk to a person")
    expect(customer_message.locator(".intent")).to_have_text("request_human")
    expect(customer_message.locator(".confidence")).to_have_text(re.compile(r"\d\.\d\d"))
    assert stack.tracker(customer)["paused"] is True
    assert catalog.message("joined", "en") in _bot_texts(stack, customer)

    page.fill("#reply-form textarea", "Hello, this is Alice from support.")
    page.click("#reply-form button[type=submit]")
    expect(page.locator("#transcript .msg.agent").last).to_contain_text("Hello, this is Alice from support.")
    agent_events = [
        e
        for e in stack.tracker(customer)["events"]
        if e["event"] == "bot" and e.get("text") == "Hello, this is Alice from support."
    ]
    assert agent_events and agent_events[0]["metadata"]["console_agent"] == "alice"

    # While the person holds it the assistant stays silent, and the agent sees the customer's answer arrive.
    assert stack.say(customer, "thanks, I can't open my mailbox anymore") == []
    expect(page.locator("#transcript")).to_contain_text("I can't open my mailbox anymore", timeout=TIMEOUT_MS)
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / "console-transcript.png"))

    page.select_option("#hand-back-form select[name=outcome]", "resolved_by_agent")
    page.click("#hand-back-form button")
    expect(page.locator(".notice")).to_contain_text("back with the assistant")
    # the header says where the conversation stands now, not that a person holds it
    expect(page.locator("#facts")).to_contain_text("back with the assistant")
    expect(page.locator("#takeover")).to_contain_text("The assistant is answering")
    tracker = stack.tracker(customer)
    assert tracker["paused"] is False
    assert tracker["slots"]["agent_outcome"] == "resolved_by_agent"
    assert catalog.message("left", "en") in _bot_texts(stack, customer)
    assert stack.say(customer, "I forgot my password"), "the assistant answers again after the hand-back"

    with page.expect_download() as download:
        page.click("#export-story")
    story = Path(download.value.path()).read_text(encoding="utf-8")
    assert f"story: conversation {customer}" in story
    assert "intent: request_human" in story and "action: action_handoff" in story

    admin = pages("boss")
    admin.goto("/audit")
    trail = admin.locator("#audit")
    expect(trail).to_contain_text("take over")
    expect(trail.locator("tr", has_text="hand back").first).to_contain_text(customer)
    expect(trail.locator("tr", has_text="export story").first).to_contain_text("alice")


def test_try_it_page_talks_to_the_assistant_and_shows_an_agents_reply(stack, pages) -> None:
    customer = pages("alice")
    customer.goto("/try")
    customer.fill("#try-form input[name=message]", "I forgot my password")
    customer.press("#try-form input[name=message]", "Enter")
    log = customer.locator("#try-log")
    expect(log).to_contain_text("Forgot password")
    expect(log.locator("button.choice").first).to_be_visible()
    sender = customer.locator("#try-sender").inner_text()

    agent = pages("boss")
    agent.goto(f"/conversation?id={sender}")
    agent.click("#take-form button")
    agent.fill("#reply-form textarea", "An agent is here to help you.")
    agent.click("#reply-form button[type=submit]")
    expect(agent.locator("#transcript")).to_contain_text("An agent is here to help you.")

    # On REST nothing is pushed: the page finds the agent's words by polling the tracker through the console.
    expect(log).to_contain_text(catalog.message("joined", "en"))
    expect(log).to_contain_text("An agent is here to help you.")
    expect(log.locator(".msg.agent .who").first).to_have_text("support agent")

    agent.click("#hand-back-form button")
    expect(log).to_contain_text(catalog.message("left", "en"))


def test_customer_markup_stays_inert_in_the_browser(stack, pages) -> None:
    sender = _sender("web-xss")
    markup = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> forgot password'
    stack.say(sender, markup)
    page = pages("alice")
    page.goto(f"/conversation?id={sender}")
    expect(page.locator("#transcript .msg.customer .text").first).to_have_text(markup)
    assert page.locator("#transcript img").count() == 0
    assert page.evaluate("window.__pwned") is None
    page.goto(f"/conversations?q={sender}")
    assert page.evaluate("window.__pwned") is None


def test_agent_corrects_an_intent_and_exports_it_as_nlu_data(stack, pages) -> None:
    sender = _sender("web-fix")
    stack.say(sender, "my old mailbox at work was closed when I left the company")
    page = pages("alice")
    page.goto(f"/conversation?id={sender}")
    form = page.locator("#transcript form.correct").first
    form.locator("select").select_option("lost_email_access")
    form.locator("button").click()
    expect(page.locator(".notice")).to_contain_text("Correction saved")
    expect(page.locator("#transcript .corrected").first).to_have_text("→ lost_email_access")

    page.goto("/corrections")
    with page.expect_download() as download:
        page.click("#export-nlu")
    nlu = Path(download.value.path()).read_text(encoding="utf-8")
    block = nlu.split("- intent: lost_email_access", 1)[1]
    assert "my old mailbox at work was closed when I left the company" in block


def test_customer_is_told_in_their_language_when_a_person_joins_and_leaves(stack) -> None:
    sender = _sender("web-ru")
    stack.say(sender, "я не помню пароль от аккаунта")
    with stack.console.signed_in("alice") as client:
        page = wait_for(
            lambda: (lambda r: r if r.status_code == 200 else None)(
                client.get("/conversation", params={"id": sender})
            ),
            message="the conversation in the console",
        )
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        assert client.post("/conversation/take", data={"id": sender, "csrf_token": token}).status_code == 303
        assert (
            client.post(
                "/conversation/hand-back",
                data={"id": sender, "csrf_token": token, "outcome": "customer_left"},
            ).status_code
            == 303
        )
    texts = _bot_texts(stack, sender)
    assert catalog.message("joined", "ru") in texts and catalog.message("left", "ru") in texts
    assert catalog.message("joined", "en") not in texts

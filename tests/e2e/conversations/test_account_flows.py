"""From "I forgot my password" to an email in the outbox, over the REST channel, in each language.

The account service is the real reference service; the replies must not tell
an existing address from an unknown one (no account enumeration).
"""

import uuid

import pytest
from harness import Assistant


def texts(replies) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def address(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


def reset_conversation(assistant: Assistant, sender: str, opening: str, email: str):
    """Opening message, yes to the offer, the address, yes to the confirmation."""
    assistant.say(sender, opening)
    asked = texts(assistant.say(sender, "/affirm"))
    confirm = texts(assistant.say(sender, email))
    done = assistant.say(sender, "/affirm")
    return asked, confirm, done


@pytest.mark.parametrize(
    "opening, asked_word, sender_word",
    [
        ("I forgot my password", "Which email address", "noreply@parallels.com"),
        ("я забыл пароль от аккаунта", "На какой адрес", "noreply@parallels.com"),
        ("j'ai oublié mon mot de passe", "Avec quelle adresse", "noreply@parallels.com"),
    ],
)
def test_a_reset_link_reaches_the_outbox_and_unknown_addresses_get_the_same_reply(
    assistant: Assistant, opening: str, asked_word: str, sender_word: str
) -> None:
    known, unknown = address("known"), address("unknown")
    assistant.create_account(known)
    asked, confirm, done_known = reset_conversation(assistant, f"t-{uuid.uuid4().hex}", opening, known)
    assert asked_word in asked and known in confirm
    _, _, done_unknown = reset_conversation(assistant, f"t-{uuid.uuid4().hex}", opening, unknown)

    assert sender_word in texts(done_known)
    assert texts(done_known).replace(known, "<email>") == texts(done_unknown).replace(unknown, "<email>")
    assert [r.get("buttons") for r in done_known] == [r.get("buttons") for r in done_unknown]
    outbox = assistant.outbox(known)
    assert [m["kind"] for m in outbox] == ["password_reset"]
    assert assistant.outbox(unknown) == []


def test_the_address_in_the_first_message_is_only_confirmed(assistant: Assistant, sender: str) -> None:
    email = address("first")
    assistant.create_account(email)
    assistant.say(sender, f"I forgot my password, my email is {email}")
    confirm = assistant.say(sender, "/affirm")
    assert email in texts(confirm) and {"/affirm", "/deny"} <= {
        b["payload"] for r in confirm for b in r.get("buttons", [])
    }
    assistant.say(sender, "/affirm")
    assert [m["kind"] for m in assistant.outbox(email)] == ["password_reset"]


def test_a_domain_typo_is_asked_about_and_the_suggestion_taken(assistant: Assistant, sender: str) -> None:
    local = f"typo{uuid.uuid4().hex[:8]}"
    assistant.create_account(f"{local}@gmail.com")
    assistant.say(sender, "I forgot my password")
    assistant.say(sender, "/affirm")
    said = texts(assistant.say(sender, f"{local}@gmial.com"))
    assert f"{local}@gmail.com" in said and "typo" in said
    assistant.say(sender, "/affirm")
    assert len(assistant.outbox(f"{local}@gmail.com")) == 1


def test_saying_no_to_the_address_asks_for_another(assistant: Assistant, sender: str) -> None:
    wrong, right = address("wrong"), address("right")
    assistant.create_account(right)
    assistant.say(sender, "I forgot my password")
    assistant.say(sender, "/affirm")
    assistant.say(sender, wrong)
    again = texts(assistant.say(sender, "/deny"))
    assert "another email address" in again
    assistant.say(sender, right)
    assistant.say(sender, "/affirm")
    assert assistant.outbox(wrong) == [] and len(assistant.outbox(right)) == 1


def test_something_that_is_not_an_address_is_refused(assistant: Assistant, sender: str) -> None:
    assistant.say(sender, "I forgot my password")
    assistant.say(sender, "/affirm")
    said = texts(assistant.say(sender, "anna at gmail dot com"))
    assert "doesn't look like an email address" in said


def test_a_new_device_confirmation_reaches_the_outbox(assistant: Assistant, sender: str) -> None:
    email = address("device")
    assistant.create_account(email)
    assistant.say(sender, "je ne reçois pas le mail de confirmation pour mon nouvel appareil")
    assistant.say(sender, "/affirm")
    assistant.say(sender, email)
    done = texts(assistant.say(sender, "/affirm"))
    assert "no-reply@parallels.com" in done and "spams" in done
    assert [m["kind"] for m in assistant.outbox(email)] == ["device_confirmation"]


def test_a_conversation_asking_too_often_is_told_how_long_to_wait(assistant: Assistant, sender: str) -> None:
    email = address("limit")
    assistant.create_account(email)
    for _ in range(5):
        reset_conversation(assistant, sender, "I forgot my password", email)
    _, _, refused = reset_conversation(assistant, sender, "I forgot my password", email)
    said = texts(refused)
    assert "try again in about" in said and "minutes" in said and "Spam" in said
    # However often it was asked, the address got one email: a repeat within the resend window
    # sends nothing, the link already sent still works.
    assert len(assistant.outbox(email)) == 1


def test_strangers_asking_for_an_address_do_not_lock_its_owner_out(assistant: Assistant) -> None:
    email = address("owner")
    assistant.create_account(email)
    for _ in range(4):
        reset_conversation(assistant, f"t-{uuid.uuid4().hex}", "I forgot my password", email)
    _, _, owner = reset_conversation(assistant, f"t-{uuid.uuid4().hex}", "I forgot my password", email)
    said = texts(owner)
    assert "noreply@parallels.com" in said and "try again in about" not in said
    assert [m["kind"] for m in assistant.outbox(email)] == ["password_reset"]


def test_lost_mailbox_opens_a_license_transfer_ticket(assistant: Assistant, sender: str) -> None:
    old_address, new_address = address("old"), address("new")
    assistant.say(sender, "I lost access to the email I registered with")
    asked = texts(assistant.say(sender, "/affirm"))
    assert "no longer access" in asked
    assert "new Parallels account" in texts(assistant.say(sender, old_address))
    assistant.say(sender, new_address)
    said = texts(assistant.say(sender, "/affirm"))
    assert "license transfer request #" in said and new_address in said and old_address in said


def test_asking_for_a_person_opens_a_ticket_with_the_conversation(assistant: Assistant, sender: str) -> None:
    assistant.say(sender, "my device confirmation email never arrives")
    said = texts(assistant.say(sender, "I want to talk to a human"))
    assert "request #" in said
    ticket_id = said.split("request #", 1)[1].split(")", 1)[0]
    ticket = assistant.http.get(
        f"{assistant.accounts_url}/v1/support-tickets/{ticket_id}",
        headers={"Authorization": f"Bearer {assistant.env['ACCOUNT_API_TOKEN']}"},
    ).json()
    assert ticket["conversation_id"] == sender and ticket["topic"] == "human_request"
    assert "device confirmation email never arrives" in ticket["summary"]

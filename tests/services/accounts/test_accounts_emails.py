"""Reset and confirmation emails: no enumeration, the article's senders, single-use expiring links."""

import hashlib
import sqlite3
import time
import uuid
from collections.abc import Callable

import httpx
import pytest
from argon2 import PasswordHasher

pytestmark = pytest.mark.timeout(30)

ENDPOINTS = {
    "password_reset": "/v1/password-resets",
    "device_confirmation": "/v1/device-confirmations",
}


def _link_path(link: str, service) -> str:
    assert link.startswith(f"{service.url}/links/")
    return link[len(service.url) :]


@pytest.mark.parametrize("kind", ENDPOINTS)
def test_existing_and_unknown_addresses_get_identical_answers(
    api, kind: str, new_email: Callable, create_account: Callable, emails_to: Callable
) -> None:
    existing, unknown = new_email("existing"), new_email("unknown")
    create_account(api, existing)
    answers = [api.post(ENDPOINTS[kind], json={"email": email}) for email in (existing, unknown)]
    for answer in answers:
        assert answer.status_code == 202
    assert answers[0].content == answers[1].content
    headers = [{k: v for k, v in answer.headers.items() if k.lower() != "date"} for answer in answers]
    assert headers[0] == headers[1]
    assert [email["kind"] for email in emails_to(api, existing)] == [kind]
    assert emails_to(api, unknown, expected=0) == []


@pytest.mark.parametrize(
    "kind, sender",
    [("password_reset", "noreply@parallels.com"), ("device_confirmation", "no-reply@parallels.com")],
)
def test_emails_come_from_the_articles_senders(
    api, kind: str, sender: str, new_email: Callable, create_account: Callable, emails_to: Callable
) -> None:
    email = new_email()
    create_account(api, email)
    assert api.post(ENDPOINTS[kind], json={"email": email}).status_code == 202
    (sent,) = emails_to(api, email)
    assert sent["from"] == sender and sent["to"] == email and sent["kind"] == kind


@pytest.mark.parametrize("kind", ENDPOINTS)
def test_a_malformed_address_is_refused(api, kind: str) -> None:
    response = api.post(ENDPOINTS[kind], json={"email": "nobody at example.com"})
    assert response.status_code == 422
    assert response.json() == {"error": "invalid_email"}


def test_a_device_confirmation_link_works_once_and_only_by_its_button(
    service, api, new_email: Callable, create_account: Callable, emails_to: Callable
) -> None:
    email = new_email()
    create_account(api, email)
    api.post(ENDPOINTS["device_confirmation"], json={"email": email})
    path = _link_path(emails_to(api, email)[0]["link"], service)
    opened, scanned = httpx.get(service.url + path), httpx.get(service.url + path)
    assert opened.status_code == scanned.status_code == 200  # opening (a mail scanner) uses nothing
    assert 'method="post"' in opened.text and "confirmed" not in opened.text
    first, second = httpx.post(service.url + path), httpx.post(service.url + path)
    assert first.status_code == 200 and "confirmed" in first.text
    assert second.status_code == 410 and "already used or has expired" in second.text


def test_a_reset_link_leads_to_a_single_use_form_judged_by_the_registration_rules(
    service, api, new_email: Callable, create_account: Callable, emails_to: Callable, strong_password: str
) -> None:
    email = new_email()
    create_account(api, email)
    api.post(ENDPOINTS["password_reset"], json={"email": email})
    link_path = _link_path(emails_to(api, email)[0]["link"], service)
    page = httpx.get(service.url + link_path)
    assert page.status_code == 200 and 'name="password"' in page.text
    assert page.headers["cache-control"] == "no-store" and page.headers["referrer-policy"] == "no-referrer"
    assert httpx.get(service.url + link_path).status_code == 200  # opening again uses nothing
    form_action = page.text.split('action="', 1)[1].split('"', 1)[0]

    refused = httpx.post(service.url + form_action, data={"password": "qwerty123"})
    assert refused.status_code == 422 and "widely used" in refused.text
    new_password = strong_password + "-new"
    accepted = httpx.post(service.url + form_action, data={"password": new_password})
    assert accepted.status_code == 200 and "changed" in accepted.text
    assert httpx.post(service.url + form_action, data={"password": new_password + "2"}).status_code == 410
    assert httpx.get(service.url + link_path).status_code == 410

    with sqlite3.connect(service.database) as db:
        (stored,) = db.execute("SELECT password_hash FROM accounts WHERE email = ?", (email,)).fetchone()
    assert PasswordHasher().verify(stored, new_password)


def test_links_expire(
    quick_service, new_email: Callable, create_account: Callable, emails_to: Callable
) -> None:
    # quick_service's links live 0.02 minutes (1.2 s).
    with quick_service.client() as client:
        email = new_email()
        create_account(client, email)
        client.post(ENDPOINTS["device_confirmation"], json={"email": email})
        path = _link_path(emails_to(client, email)[0]["link"], quick_service)
        assert httpx.get(quick_service.url + path).status_code == 200
        time.sleep(1.5)
        assert httpx.get(quick_service.url + path).status_code == 410
        assert httpx.post(quick_service.url + path).status_code == 410


def test_deleting_the_account_ends_its_links(
    service, api, new_email: Callable, create_account: Callable, emails_to: Callable
) -> None:
    email = new_email()
    create_account(api, email)
    api.post(ENDPOINTS["password_reset"], json={"email": email})
    path = _link_path(emails_to(api, email)[0]["link"], service)
    assert api.delete(f"/v1/accounts/{email}").status_code == 204
    assert httpx.get(service.url + path).status_code == 410


def test_link_tokens_are_stored_only_as_sha256(
    service, api, new_email: Callable, create_account: Callable, emails_to: Callable
) -> None:
    email = new_email()
    create_account(api, email)
    api.post(ENDPOINTS["password_reset"], json={"email": email})
    token = emails_to(api, email)[0]["link"].rsplit("/", 1)[1]
    with sqlite3.connect(service.database) as db:
        stored = [row for row in db.execute("SELECT * FROM link_tokens WHERE email = ?", (email,))]
    assert len(stored) == 1 and hashlib.sha256(token.encode()).hexdigest() in stored[0]
    assert token not in repr(stored)


def test_without_the_outbox_no_link_is_kept_anywhere(
    closed_service, new_email: Callable, create_account: Callable
) -> None:
    with closed_service.client() as client:
        email = new_email()
        create_account(client, email)
        assert client.post(ENDPOINTS["password_reset"], json={"email": email}).status_code == 202
    time.sleep(0.3)  # past the background task
    with sqlite3.connect(closed_service.database) as db:
        dump = "\n".join(db.iterdump())
    assert "/links/" not in dump


def test_an_unknown_link_is_gone(service) -> None:
    assert httpx.get(f"{service.url}/links/{uuid.uuid4().hex}").status_code == 410


def test_the_outbox_page_lists_newest_first_and_escapes(
    service, api, create_account: Callable, emails_to: Callable
) -> None:
    email = f"o'neil&co-{uuid.uuid4().hex[:8]}@example.com"
    create_account(api, email)
    api.post(ENDPOINTS["password_reset"], json={"email": email})
    emails_to(api, email, expected=1)
    api.post(ENDPOINTS["device_confirmation"], json={"email": email})
    emails_to(api, email, expected=2)
    assert httpx.get(f"{service.url}/dev/outbox").status_code == 401
    page = httpx.get(f"{service.url}/dev/outbox", auth=("anyone", service.token))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    escaped = email.replace("&", "&amp;").replace("'", "&#39;")
    assert email not in page.text
    rows = [row for row in page.text.split("<tr>") if escaped in row]
    assert ["device_confirmation" in rows[0], "password_reset" in rows[1]] == [True, True]


def test_the_outbox_is_not_served_unless_switched_on(closed_service) -> None:
    with closed_service.client() as client:
        assert client.get("/v1/outbox", params={"to": "demo@example.com"}).status_code == 404
        assert client.get("/dev/outbox").status_code == 404
        # Requests are still answered as usual.
        assert client.post(ENDPOINTS["password_reset"], json={"email": "demo@example.com"}).status_code == 202

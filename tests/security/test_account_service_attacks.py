"""Attacks on the account service: locking a customer out of their emails, reading the dev
outbox's working links without the token, mail scanners using links up, a stale reset link
still working, and a Host header steering clients through /openapi.json.

Each test failed on the service as it was: three anonymous requests for an address stopped its
owner's reset email for an hour (429); /dev/outbox answered without the token; opening a device
confirmation link (as a mail scanner does) confirmed the device; a second reset email left the
first link working; /openapi.json named whatever Host the request gave.
"""

import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from account_service_fixtures import AccountService, register, start_service

RESET = "/v1/password-resets"
CONFIRM = "/v1/device-confirmations"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AccountService]:
    running = start_service(
        tmp_path_factory.mktemp("accounts_attacks"),
        ACCOUNT_DEV_OUTBOX="1",
        ACCOUNT_PUBLIC_URL="https://accounts.example.test",
    )
    yield running
    running.stop()


@pytest.fixture
def api(service: AccountService) -> Iterator[httpx.Client]:
    with service.client() as client:
        yield client


def emails(api: httpx.Client, email: str, expected: int, wait: float = 3.0) -> list:
    deadline = time.monotonic() + wait
    while True:
        found = api.get("/v1/outbox", params={"to": email}).json()
        if len(found) >= expected or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def link_path(link: str) -> str:
    return "/links/" + link.rsplit("/links/", 1)[1]


def test_strangers_requests_do_not_stop_the_owner_getting_a_working_reset_link(api, service):
    email = f"victim-{uuid.uuid4().hex[:8]}@example.com"
    register(api, email)
    for stranger in range(10):  # a flood from ten other conversations
        answer = api.post(
            RESET, json={"email": email}, headers={"X-Conversation-Id": f"rest:stranger-{stranger}"}
        )
        assert answer.status_code == 202
    owner = api.post(RESET, json={"email": email}, headers={"X-Conversation-Id": "telegram:owner"})
    assert owner.status_code == 202
    sent = emails(api, email, expected=2, wait=1.0)
    assert len(sent) == 1  # the flood sent one email, not ten
    # ... and the owner's inbox holds a link that works.
    page = httpx.get(service.url + link_path(sent[-1]["link"]))
    assert page.status_code == 200 and 'name="password"' in page.text


def test_one_conversation_flooding_is_refused_to_itself_only(api):
    flooder = {"X-Conversation-Id": f"rest:{uuid.uuid4()}"}
    statuses = [
        api.post(
            RESET, json={"email": f"x{i}-{uuid.uuid4().hex[:6]}@example.com"}, headers=flooder
        ).status_code
        for i in range(8)
    ]
    assert statuses[:5] == [202] * 5 and set(statuses[5:]) == {429}
    assert (
        api.post(
            RESET, json={"email": "someone@example.com"}, headers={"X-Conversation-Id": "rest:someone-else"}
        ).status_code
        == 202
    )


def test_the_dev_outbox_page_needs_the_token(service):
    assert httpx.get(f"{service.url}/dev/outbox").status_code == 401
    assert httpx.get(f"{service.url}/dev/outbox", auth=("x", "wrong")).status_code == 401
    assert (
        httpx.get(f"{service.url}/dev/outbox", headers={"Authorization": "Bearer wrong"}).status_code == 401
    )
    assert httpx.get(f"{service.url}/dev/outbox", auth=("x", service.token)).status_code == 200
    assert (
        httpx.get(
            f"{service.url}/dev/outbox", headers={"Authorization": f"Bearer {service.token}"}
        ).status_code
        == 200
    )


def test_a_mail_scanner_opening_the_link_does_not_use_it(api, service):
    email = f"scanned-{uuid.uuid4().hex[:8]}@example.com"
    register(api, email)
    api.post(CONFIRM, json={"email": email})
    path = link_path(emails(api, email, expected=1)[0]["link"])
    for _ in range(3):  # the scanner, the preview, the customer
        opened = httpx.get(service.url + path)
        assert opened.status_code == 200 and "is confirmed" not in opened.text
    confirmed = httpx.post(service.url + path)
    assert confirmed.status_code == 200 and "is confirmed" in confirmed.text


def test_a_new_reset_link_revokes_the_older_ones(tmp_path):
    # A resend window of 0.3 s, so that a second email goes out within the test.
    quick = start_service(tmp_path, ACCOUNT_DEV_OUTBOX="1", ACCOUNT_RESEND_MINUTES="0.005")
    try:
        with quick.client() as client:
            email = f"twice-{uuid.uuid4().hex[:8]}@example.com"
            register(client, email)
            client.post(RESET, json={"email": email})
            first = emails(client, email, expected=1)[0]["link"]
            time.sleep(0.5)
            client.post(RESET, json={"email": email})
            second = emails(client, email, expected=2)[1]["link"]
        assert httpx.get(quick.url + link_path(first)).status_code == 410
        assert httpx.get(quick.url + link_path(second)).status_code == 200
    finally:
        quick.stop()


def test_openapi_servers_come_from_configuration_not_the_host_header(service):
    document = httpx.get(f"{service.url}/openapi.json", headers={"Host": "evil.example"}).json()
    assert document["servers"] == [{"url": "https://accounts.example.test"}]

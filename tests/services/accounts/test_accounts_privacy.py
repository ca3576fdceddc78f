"""What the service writes to its log: never the token, an address, or a link token."""

from collections.abc import Callable

import pytest

pytestmark = pytest.mark.timeout(30)


def test_the_log_holds_no_token_address_or_link(
    service, api, new_email: Callable, create_account: Callable, emails_to: Callable
) -> None:
    known, unknown = new_email("logged"), new_email("logged")
    create_account(api, known)
    for email in (known, unknown):
        api.post("/v1/password-resets", json={"email": email})
        api.post("/v1/device-confirmations", json={"email": email}, headers={"Idempotency-Key": email})
    link = emails_to(api, known, expected=2)[0]["link"]
    api.get(link)
    api.delete(f"/v1/accounts/{known}")
    api.post("/v1/accounts", json={"email": unknown, "password": "password"})
    log = service.log.read_text()
    for secret in (service.token, known, unknown, link.rsplit("/", 1)[1]):
        assert secret not in log

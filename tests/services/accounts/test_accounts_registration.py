"""POST /v1/accounts and DELETE /v1/accounts/{email}: the article's registration rules."""

import sqlite3
import uuid
from collections.abc import Callable

import pytest

pytestmark = pytest.mark.timeout(30)


def test_a_new_address_with_a_strong_password_is_registered(
    api, new_email: Callable, strong_password: str
) -> None:
    email = new_email()
    response = api.post("/v1/accounts", json={"email": email, "password": strong_password})
    assert response.status_code == 201
    assert response.json()["email"] == email


def test_an_address_in_use_is_refused_whatever_its_case(
    api, new_email: Callable, create_account: Callable, strong_password: str
) -> None:
    email = new_email()
    create_account(api, email)
    for spelling in (email, email.upper()):
        response = api.post("/v1/accounts", json={"email": spelling, "password": strong_password})
        assert response.status_code == 409
        assert response.json() == {"error": "email_in_use"}


@pytest.mark.parametrize(
    "password",
    ["password", "qwerty123", "iloveyou", "Qwerty123!", "summer2019", "aaaaaaaaaaaa"],
    ids=["listed", "listed-digits", "listed-word", "keyboard-walk", "word-year", "repeat"],
)
def test_a_common_password_is_refused(api, new_email: Callable, password: str) -> None:
    response = api.post("/v1/accounts", json={"email": new_email(), "password": password})
    assert response.status_code == 422
    assert response.json() == {"error": "password_too_common"}


def test_a_password_made_of_the_address_is_refused(api) -> None:
    email = f"zeta.quokka@{uuid.uuid4().hex[:12]}.example.com"
    response = api.post("/v1/accounts", json={"email": email, "password": "zetaquokka1"})
    assert response.json() == {"error": "password_too_common"}


@pytest.mark.parametrize(
    "email", ["not-an-address", "a@b", "x@localhost", "two@@example.com", "sp ace@example.com"]
)
def test_a_malformed_address_is_refused(api, email: str, strong_password: str) -> None:
    response = api.post("/v1/accounts", json={"email": email, "password": strong_password})
    assert response.status_code == 422
    assert response.json() == {"error": "invalid_email"}


def test_the_seeded_deleted_address_shows_the_days_left(api, strong_password: str) -> None:
    response = api.post("/v1/accounts", json={"email": "deleted@example.com", "password": strong_password})
    assert response.status_code == 409
    assert response.json() == {"error": "email_recently_deleted", "days_left": 20}


def test_a_deleted_address_waits_the_whole_cooldown(
    api, new_email: Callable, create_account: Callable, strong_password: str
) -> None:
    email = new_email()
    create_account(api, email)
    assert api.delete(f"/v1/accounts/{email}").status_code == 204
    response = api.post("/v1/accounts", json={"email": email, "password": strong_password})
    assert response.status_code == 409
    assert response.json() == {"error": "email_recently_deleted", "days_left": 30}


def test_a_deleted_address_can_be_registered_after_the_cooldown(
    quick_service, new_email: Callable, create_account: Callable, strong_password: str
) -> None:
    # quick_service has a cooldown of 0 days: "after the cooldown" is now.
    with quick_service.client() as client:
        email = new_email()
        create_account(client, email)
        assert client.delete(f"/v1/accounts/{email}").status_code == 204
        response = client.post("/v1/accounts", json={"email": email, "password": strong_password})
        assert response.status_code == 201


def test_deleting_an_unknown_address_reveals_nothing_and_blocks_nothing(
    api, new_email: Callable, strong_password: str
) -> None:
    email = new_email()
    assert api.delete(f"/v1/accounts/{email}").status_code == 204
    response = api.post("/v1/accounts", json={"email": email, "password": strong_password})
    assert response.status_code == 201


def test_deleting_a_malformed_address_is_refused(api) -> None:
    response = api.delete("/v1/accounts/not-an-address")
    assert response.status_code == 422
    assert response.json() == {"error": "invalid_email"}


def test_an_address_with_a_slash_is_deleted_through_its_escaped_path(
    api, create_account: Callable, strong_password: str, new_email: Callable
) -> None:
    email = "a/b-" + new_email()
    create_account(api, email)
    assert api.delete("/v1/accounts/" + email.replace("/", "%2F")).status_code == 204
    response = api.post("/v1/accounts", json={"email": email, "password": strong_password})
    assert response.json()["error"] == "email_recently_deleted"


def test_passwords_are_stored_only_as_argon2_hashes(
    service, api, new_email: Callable, create_account: Callable, strong_password: str
) -> None:
    email = new_email()
    create_account(api, email)
    with sqlite3.connect(service.database) as db:
        (stored,) = db.execute("SELECT password_hash FROM accounts WHERE email = ?", (email,)).fetchone()
    assert stored.startswith("$argon2id$")
    assert strong_password not in stored

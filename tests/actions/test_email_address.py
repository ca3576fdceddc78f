"""Judging typed addresses: real syntax validation; a likely typo is a question, never a rewrite."""

import time

import pytest

from actions.email_address import check_address, find_address, suggest_domain, written_out_address
from actions.missing_email import email_kind


@pytest.mark.parametrize(
    "typed, address, suggestion",
    [
        ("anna@gmial.com", "anna@gmial.com", "anna@gmail.com"),
        ("bob@mial.ru", "bob@mial.ru", "bob@mail.ru"),
        ("x@gmail.con", "x@gmail.con", "x@gmail.com"),
        ("jp@orange.fr", "jp@orange.fr", None),
        ("Anna.K@GMAIL.com", "Anna.K@gmail.com", None),
        ("q@my-company.com", "q@my-company.com", None),
        ("my email is ivan@yandex.ru.", "ivan@yandex.ru", None),
    ],
)
def test_valid_addresses_are_kept_as_typed_and_a_likely_typo_is_only_suggested(
    typed: str, address: str, suggestion: str
) -> None:
    checked = check_address(typed)
    assert (checked.address, checked.suggestion, checked.spaced) == (address, suggestion, False)


@pytest.mark.parametrize(
    "domain",
    [
        "yahoo.co.uk",
        "mail.com",
        "mail.ua",
        "web.de",
        "t-online.de",
        "yandex.ua",
        "ukr.net",
        "orange.fr",
        "outlook.de",
        "hotmail.it",
        "gmx.net",
        "yahoo.de",
        "hotmail.co.uk",
        "gmail.com",
        "mail.ru",
        "free.fr",
    ],
)
def test_real_common_domains_are_never_questioned(domain: str) -> None:
    assert suggest_domain(domain) is None
    assert check_address(f"someone@{domain}").suggestion is None


@pytest.mark.parametrize(
    "typed, joined",
    [("ivan petrov@gmail.com", "ivanpetrov@gmail.com"), ("anna.k @gmail.com", "anna.k@gmail.com")],
)
def test_an_address_with_a_space_is_asked_about_not_cut(typed: str, joined: str) -> None:
    checked = check_address(typed)
    assert checked.address is None and checked.spaced and checked.suggestion == joined
    assert checked.typed == typed


@pytest.mark.parametrize("typed", ["anna at gmail dot com", "a@b", "@gmail.com", "anna@", "два слова"])
def test_what_is_not_an_address_is_refused(typed: str) -> None:
    assert check_address(typed).address is None


def test_addresses_are_found_inside_text() -> None:
    assert find_address("c'est jp@free.fr!") == "jp@free.fr"


@pytest.mark.parametrize("token", ["a" * 100_000, "a@" * 50_000, "a." * 50_000 + "@"])
def test_a_100_kb_token_is_judged_in_one_pass(token: str) -> None:
    # Bounded work, not a benchmark: a search restarted at every character would take minutes.
    started = time.perf_counter()
    check_address(token)
    assert time.perf_counter() - started < 2.0


@pytest.mark.parametrize(
    "text, kind",
    [
        ("the password reset email never comes", "reset"),
        ("письмо для сброса пароля не приходит", "reset"),
        ("je ne reçois pas le mail de réinitialisation du mdp", "reset"),
        ("I don't get any email from you", "unclear"),
        ("мне не приходят письма", "unclear"),
        ("je ne reçois rien", "unclear"),
    ],
)
def test_a_missing_email_is_sorted_by_what_the_customer_wrote(text: str, kind: str) -> None:
    assert email_kind(text) == kind


def test_finding_an_address_is_linear_on_a_100_kb_word() -> None:
    """Searched from every position, a 100 KB word without "@" took seconds; now milliseconds."""
    import time

    from actions.email_address import find_address

    started = time.perf_counter()
    assert find_address("a" * 100_000) is None
    assert find_address("x" * 100_000 + " anna@mail.com") == "anna@mail.com"
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    "text",
    [
        "anna at gmail dot com",
        "my address is anna.k at mail dot co dot uk.",
        "ivan собака mail точка ru",
        "ivan sobaka yandex tochka ru",
        "jean arobase orange point fr",
    ],
)
def test_an_address_written_out_in_words_is_recognised(text: str) -> None:
    assert written_out_address(text)


@pytest.mark.parametrize(
    "text",
    [
        "look at the reset email",
        "I am at home",
        "at gmail dot com",
        "the point is I never got it",
        "anna at gmail dot com is what I used, but nothing came",
    ],
)
def test_sentences_with_at_or_dot_are_not_addresses(text: str) -> None:
    assert not written_out_address(text)


def test_written_out_address_reads_only_the_tail() -> None:
    """Only the last 200 characters are searched: a megabyte of text costs what they cost."""
    assert written_out_address("a " * 500_000 + "anna at gmail dot com")
    assert not written_out_address("anna at gmail dot com " + "a " * 100)

"""Fixtures shared by every test folder."""

from typing import Iterator

import pytest

import support


@pytest.fixture
def scripted_server() -> Iterator[support.ScriptedServer]:
    """A loopback HTTP server answering as the test says (status, delay, body, headers)."""
    with support.scripted_server() as server:
        yield server

"""actions.account_api's configuration and log masking, without any server."""

import pytest

from actions.account_api import AccountApiClient, mask_email


def test_addresses_are_masked_for_logs() -> None:
    assert mask_email("anna.k@example.com") == "a***@example.com"
    assert mask_email("garbage") == "***"


def test_the_client_reads_its_settings_from_the_environment() -> None:
    client = AccountApiClient(
        env={"ACCOUNT_API_URL": "http://h:1/", "ACCOUNT_API_TOKEN": "s3cret", "ACCOUNT_API_TIMEOUT": "2.5"}
    )
    assert (client.base_url, client.timeout) == ("http://h:1", 2.5)
    assert "s3cret" not in repr(client)
    assert AccountApiClient(env={}).base_url == "http://127.0.0.1:8001"
    with pytest.raises(ValueError, match="ACCOUNT_API_TIMEOUT"):
        AccountApiClient(env={"ACCOUNT_API_TIMEOUT": "soon"})

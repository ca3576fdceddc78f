"""Starting the service: refusals are one clear line, and the open endpoints need no token."""

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.timeout(60)


def test_refuses_to_start_without_a_token(tmp_path: Path, service_run: Callable) -> None:
    result = service_run(tmp_path, ACCOUNT_PORT="1")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "ACCOUNT_API_TOKEN" in lines[0]


@pytest.mark.parametrize(
    "name, value",
    [
        ("ACCOUNT_PORT", "eighty"),
        ("ACCOUNT_REUSE_COOLDOWN_DAYS", "-1"),
        ("ACCOUNT_LINK_TTL_MINUTES", "0"),
        ("ACCOUNT_DEV_OUTBOX", "yes"),
        ("ACCOUNT_PUBLIC_URL", "example.com"),
        ("ACCOUNT_DATABASE_URL", "nosuchdb://x"),
        ("ACCOUNT_DATABASE_URL", "sqlite:////proc/forbidden/accounts.db"),
    ],
)
def test_a_malformed_setting_is_named_in_one_line(
    tmp_path: Path, service_run: Callable, name: str, value: str
) -> None:
    result = service_run(tmp_path, ACCOUNT_API_TOKEN="t", **{name: value})
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and name in result.stderr


def test_a_busy_port_is_one_clear_line(tmp_path: Path, service_run: Callable, service) -> None:
    port = service.url.rsplit(":", 1)[1]
    result = service_run(tmp_path, ACCOUNT_API_TOKEN="t", ACCOUNT_PORT=port)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and f":{port}" in result.stderr


def test_help_works_without_settings(tmp_path: Path, service_run: Callable) -> None:
    result = service_run(tmp_path, "--help")
    assert result.returncode == 0 and "ACCOUNT_API_TOKEN" in result.stdout


def test_health_needs_no_token(service) -> None:
    response = httpx.get(f"{service.url}/health", timeout=5)
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_openapi_document_needs_no_token_and_declares_bearer_auth(service) -> None:
    document = httpx.get(f"{service.url}/openapi.json", timeout=5).json()
    assert document["openapi"].startswith("3.0")
    assert document["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    assert document["security"] == [{"bearerAuth": []}]
    assert document["servers"] == [{"url": service.url}]

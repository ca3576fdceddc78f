"""Talking to a running assistant as a customer's client does, and looking inside it."""

import uuid
from typing import Any

import httpx


class Assistant:
    """A running assistant and what a test needs to talk to it and look inside."""

    # The supervisor of its servers (ops.processes.Supervisor), for tests that stop one.
    supervisor: Any = None

    def __init__(self, rasa_url: str, accounts_url: str, env: dict[str, str]) -> None:
        self.rasa_url = rasa_url
        self.accounts_url = accounts_url
        self.env = env
        self.http = httpx.Client(timeout=60.0)

    def say(self, sender: str, text: str, metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Sends a customer message on the REST channel; returns the replies."""
        body: dict[str, Any] = {"sender": sender, "message": text}
        if metadata:
            body["metadata"] = metadata
        response = self.http.post(f"{self.rasa_url}/webhooks/rest/webhook", json=body)
        response.raise_for_status()
        return response.json()

    def tracker(self, sender: str) -> dict[str, Any]:
        """The conversation as Rasa's HTTP API shows it."""
        response = self.http.get(
            f"{self.rasa_url}/conversations/{sender}/tracker",
            params={"token": self.env["RASA_AUTH_TOKEN"]},
        )
        response.raise_for_status()
        return response.json()

    def outbox(self, email: str) -> list[dict[str, Any]]:
        """The emails the account service would have sent to `email`."""
        response = self.http.get(
            f"{self.accounts_url}/v1/outbox",
            params={"to": email},
            headers={"Authorization": f"Bearer {self.env['ACCOUNT_API_TOKEN']}"},
        )
        response.raise_for_status()
        return response.json()

    def create_account(self, email: str) -> None:
        """Registers `email` with a strong password, as the customer once did."""
        response = self.http.post(
            f"{self.accounts_url}/v1/accounts",
            json={"email": email, "password": "kX9#mq2!vLp-Tz4" + uuid.uuid4().hex[:6]},
            headers={"Authorization": f"Bearer {self.env['ACCOUNT_API_TOKEN']}"},
        )
        assert response.status_code == 201, response.text

"""The console's calls to Rasa: its HTTP API (events) and the REST channel (the "try it" page).

The token travels as `?token=`, as Rasa requires; httpx logs request URLs at
INFO, so its logger is held at WARNING in every console process (see
services.console.cli) and the token never reaches a log. Failures become
`RasaError` with a message an agent can act on, never a traceback.
"""

from typing import Any
from urllib.parse import quote

import httpx

# Characters a conversation id keeps as they are in the URL path. Rasa's routes (Sanic, `unquote`
# off) do not decode the path: a platform id sent as `messenger%3A123` reached a conversation of
# that literal name, so an agent's take-over and replies never reached a Messenger, X or Telegram
# customer. These are the characters RFC 3986 allows unencoded in a path; an id with others
# (spaces, `%`, `?`, non-ASCII: only REST senders can have them) cannot be addressed through
# Rasa's HTTP API at all.
PATH_SAFE = ":@!$&'()*+,;=/-._~"


class RasaError(RuntimeError):
    """Rasa could not be reached or refused the call; the message is shown to the agent."""


class RasaClient:
    """Rasa's HTTP API and REST channel at `base_url`."""

    def __init__(self, base_url: str, token: str, rest_token: str | None, timeout: float) -> None:
        self._base = base_url.rstrip("/")
        self._token = token
        self._rest_token = rest_token
        self._http = httpx.AsyncClient(timeout=timeout)

    async def close(self) -> None:
        """Releases the connections."""
        await self._http.aclose()

    async def _post(self, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.post(url, **kwargs)
        except httpx.HTTPError as error:
            raise RasaError(f"the assistant (Rasa) cannot be reached: {type(error).__name__}") from None
        if response.status_code >= 400:
            raise RasaError(f"the assistant (Rasa) refused the request with status {response.status_code}")
        return response

    async def append_events(self, conversation_id: str, events: list[dict[str, Any]]) -> None:
        """Appends `events` and sends their bot utterances on the channel the customer last wrote from."""
        await self._post(
            f"{self._base}/conversations/{quote(conversation_id, safe=PATH_SAFE)}/tracker/events",
            params={
                "token": self._token,
                "output_channel": "latest",
                "execute_side_effects": "true",
                "include_events": "NONE",
            },
            json=events,
        )

    async def say(self, sender: str, text: str) -> list[dict[str, Any]]:
        """Sends a customer message on the REST channel; returns the assistant's replies.

        `X-Rasa-Token` proves to the REST channel that the console sends (connectors.rest keeps
        the console's `console-try-` senders for it).
        """
        headers = {"X-Rasa-Token": self._token}
        if self._rest_token:
            headers["Authorization"] = f"Bearer {self._rest_token}"
        response = await self._post(
            f"{self._base}/webhooks/rest/webhook", json={"sender": sender, "message": text}, headers=headers
        )
        replies = response.json()
        return replies if isinstance(replies, list) else []

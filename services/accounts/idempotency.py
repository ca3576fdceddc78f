"""Idempotency keys: a retried POST does nothing twice and gets the first answer.

The assistant retries a call whose answer it did not get (a timeout, a broken
connection). With an `Idempotency-Key` header the service remembers the first
successful response under that key and replays its status and body byte for
byte, so a retried reset request sends no second email and a retried ticket
opens no second ticket. Only successful (2xx) answers are remembered: a refusal had no effect,
so running the request again is harmless and may rightly succeed later (after
a rate limit, for instance).

A key is tied to the request it first came with through an HMAC of method,
path and body keyed with the API token: the stored fingerprint says nothing
about the body (which may hold a password) to whoever reads the database.
Keys are kept for `KEY_LIFETIME`; a key older than that counts as new (expired
keys are purged whenever a key is looked up).
"""

import hashlib
import hmac
import json
from collections.abc import Callable, Coroutine
from datetime import timedelta
from functools import wraps
from typing import Any

from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy import bindparam, delete, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from services.accounts.errors import ApiError
from services.accounts.storage import idempotency_keys, utcnow
from services.accounts.validation import idempotency_key

KEY_LIFETIME = timedelta(hours=24)
# Built once, as services.accounts.ratelimit's statements.
_FORGET_KEYS = delete(idempotency_keys).where(idempotency_keys.c.created_at < bindparam("before"))
_FIND_KEY = select(idempotency_keys).where(idempotency_keys.c.key == bindparam("wanted"))
_RECORD_KEY = idempotency_keys.insert()

Handler = Callable[..., Coroutine[Any, Any, HTTPResponse]]


def _fingerprint(secret: str, request: Request) -> str:
    try:
        body: Any = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        body = (request.body or b"").decode("latin-1")
    canonical = json.dumps([request.method, request.path, body], sort_keys=True, ensure_ascii=True)
    return hmac.new(secret.encode(), canonical.encode(), hashlib.sha256).hexdigest()


def _replay(conn: Connection, key: str, fingerprint: str) -> HTTPResponse | None:
    """The remembered response for `key`, None if there is none, 422 if it served another request."""
    conn.execute(_FORGET_KEYS, {"before": utcnow() - KEY_LIFETIME})
    row = conn.execute(_FIND_KEY, {"wanted": key}).first()
    if row is None:
        return None
    if not hmac.compare_digest(row.fingerprint, fingerprint):
        raise ApiError(422, "idempotency_key_reused")
    return HTTPResponse(
        row.body, status=row.status, headers={"Idempotent-Replayed": "true"}, content_type="application/json"
    )


def idempotent(handler: Handler) -> Handler:
    """Wraps a POST handler so that a repeated Idempotency-Key replays its first success.

    A duplicate arriving while the first is still running (say, hashing a
    password) is not replayed but runs into the first one's effect (the
    address is then in use); whichever records the key first is replayed
    from then on.
    """

    @wraps(handler)
    async def wrapper(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        key = idempotency_key(request)
        if key is None:
            return await handler(request, *args, **kwargs)
        engine = request.app.ctx.engine
        fingerprint = _fingerprint(request.app.ctx.settings.api_token, request)
        with engine.begin() as conn:
            replayed = _replay(conn, key, fingerprint)
        if replayed is not None:
            return replayed
        response = await handler(request, *args, **kwargs)
        if 200 <= response.status < 300:
            try:
                with engine.begin() as conn:
                    conn.execute(
                        _RECORD_KEY,
                        {
                            "key": key,
                            "fingerprint": fingerprint,
                            "status": response.status,
                            "body": (response.body or b"").decode(),
                            "created_at": utcnow(),
                        },
                    )
            except IntegrityError:
                # A concurrent request with the same key won; its answer is the one to keep.
                with engine.begin() as conn:
                    replayed = _replay(conn, key, fingerprint)
                if replayed is not None:
                    return replayed
        return response

    return wrapper

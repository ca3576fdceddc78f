"""Turning a raw request into checked values, or a 400/422 the contract names.

Bodies are checked against the schemas published in the OpenAPI document, so
what the document promises and what the service accepts are one thing.
"""

import json
import re
from functools import cache
from typing import Any

from jsonschema import Draft4Validator
from sanic.request import Request

from services.accounts.errors import ApiError
from services.accounts.openapi import IDEMPOTENCY_KEY_PATTERN, REQUEST_SCHEMAS
from services.accounts.rules import InvalidEmail, canonical_email


@cache
def _validator(schema_name: str) -> Draft4Validator:
    return Draft4Validator(REQUEST_SCHEMAS[schema_name])


def json_body(request: Request, schema_name: str) -> dict[str, Any]:
    """The request's JSON body if it matches the named schema, else a 400."""
    try:
        body = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "invalid_request") from None
    if not _validator(schema_name).is_valid(body):
        raise ApiError(400, "invalid_request")
    return body


def email_value(raw: str) -> str:
    """The canonical form of an address the caller sent, or a 422 invalid_email."""
    try:
        return canonical_email(raw)
    except InvalidEmail:
        raise ApiError(422, "invalid_email") from None


def idempotency_key(request: Request) -> str | None:
    """The Idempotency-Key header when present; a malformed one is a 400."""
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    if not re.fullmatch(IDEMPOTENCY_KEY_PATTERN, key):
        raise ApiError(400, "invalid_request")
    return key

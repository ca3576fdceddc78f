"""JSON errors for every failure, so callers never parse an HTML error page.

Handlers raise `ApiError` with the contract's error code; Sanic's own errors
(unknown path, wrong method, oversized body) and unexpected exceptions are
turned into the same `{"error": "..."}` shape here. An unexpected exception is
logged with its traceback but answered with a bare 500, which leaks nothing.
"""

import logging
from collections.abc import Mapping
from typing import Any

from sanic import Sanic
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse, json

logger = logging.getLogger(__name__)

_CODES_BY_STATUS = {
    400: "invalid_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "payload_too_large",
    503: "unavailable",
}


class ApiError(SanicException):
    """A refusal the contract names: status, error code, and any further body fields."""

    def __init__(
        self,
        status: int,
        code: str,
        fields: dict[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(code, status_code=status)
        self.code = code
        self.fields = fields or {}
        self.headers = dict(headers or {})


def _error_response(request: Request, exception: Exception) -> HTTPResponse:
    if isinstance(exception, ApiError):
        return json(
            {"error": exception.code, **exception.fields},
            status=exception.status_code,
            headers=exception.headers,
        )
    if isinstance(exception, SanicException):
        status = exception.status_code
        code = _CODES_BY_STATUS.get(status, "invalid_request" if status < 500 else "internal_error")
        return json({"error": code}, status=status, headers=getattr(exception, "headers", None))
    logger.exception(
        "unexpected error on %s %s", request.method, request.route.name if request.route else "?"
    )
    return json({"error": "internal_error"}, status=500)


def install_error_handlers(app: Sanic) -> None:
    """Makes every error of `app` a JSON error body."""
    app.error_handler.add(Exception, _error_response)

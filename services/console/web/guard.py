"""The checks every request passes before any handler runs, and the headers every answer carries.

Installed as middleware so that no route can forget them:
- authentication: everything but the sign-in page, /health and /static/ needs a
  live session; a page request without one is sent to the sign-in page, any
  other request gets 401;
- CSRF: every POST carries the session's token (form field `csrf_token` or
  header `X-CSRF-Token`); the sign-in form carries the token of its own
  short-lived cookie (double submit). A missing or wrong token is 403;
- headers: a Content-Security-Policy that allows only the console's own script
  and style files (no inline script can run even if one got into a page),
  no framing, no sniffing, no referrer, no caching of pages.
"""

import hmac

from sanic import Sanic
from sanic.request import Request
from sanic.response import BaseHTTPResponse, HTTPResponse, text

from services.console.web.common import back_to

SESSION_COOKIE = "console_session"
LOGIN_CSRF_COOKIE = "console_login_csrf"
PUBLIC_PATHS = ("/login", "/health")
STATIC_PREFIX = "/static/"
SAFE_METHODS = ("GET", "HEAD")

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _same(expected: str, provided: str | None) -> bool:
    if not expected or not provided:
        return False
    return hmac.compare_digest(expected.encode(), provided.encode())


def _submitted_token(request: Request) -> str | None:
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    form = (
        request.form
        if request.content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))
        else None
    )
    return form.get("csrf_token") if form else None


async def authenticate(request: Request) -> HTTPResponse | None:
    """Finds the session's user, refuses anonymous requests to private paths, checks CSRF on POSTs."""
    request.ctx.user = None
    request.ctx.csrf_token = ""
    token = request.cookies.get(SESSION_COOKIE)
    sessions = request.app.ctx.sessions
    if token:
        request.ctx.user = sessions.user_of(token)
        if request.ctx.user:
            request.ctx.session_token = token
            request.ctx.csrf_token = sessions.csrf_token(token)
    public = request.path in PUBLIC_PATHS or request.path.startswith(STATIC_PREFIX)
    if not public and request.ctx.user is None:
        if request.method in SAFE_METHODS and "text/html" in request.headers.get("accept", ""):
            return back_to(
                "/login", next=request.path + (f"?{request.query_string}" if request.query_string else "")
            )
        return text("sign in first", status=401)
    if request.method not in SAFE_METHODS:
        expected = (
            request.cookies.get(LOGIN_CSRF_COOKIE, "") if request.path == "/login" else request.ctx.csrf_token
        )
        if not _same(expected, _submitted_token(request)):
            return text("the form is missing its security token: reload the page and try again", status=403)
    return None


async def add_security_headers(request: Request, response: BaseHTTPResponse) -> None:
    """Adds the module docstring's headers; pages are never cached (they show customer data)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if not request.path.startswith(STATIC_PREFIX):
        response.headers["Cache-Control"] = "no-store"


def install(app: Sanic) -> None:
    """Puts the guard in front of every route of `app`."""
    app.register_middleware(authenticate, "request")
    app.register_middleware(add_security_headers, "response")


def safe_next(target: str) -> str:
    """Where to go after signing in: a path on this console only, never another site."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/conversations"
    return target

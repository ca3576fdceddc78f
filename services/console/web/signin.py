"""Signing in and out, and the health check the launcher polls.

The same answer ("wrong name or password") for an unknown name and a wrong
password; a throttled name or address gets 429 without its password being
checked. Failed and refused sign-ins are in the audit trail (under the name
only when it is an existing account's, so a password typed into the name
field is never recorded). Session cookies are HttpOnly and SameSite=Strict (Secure with
CONSOLE_COOKIE_SECURE=1).
"""

import asyncio
import secrets

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, json

from services.console import audit
from services.console.auth import authenticate
from services.console.web.common import arg, back_to, form_value, render
from services.console.web.guard import LOGIN_CSRF_COOKIE, SESSION_COOKIE, safe_next

signin = Blueprint("signin")


def _set_cookie(
    response: HTTPResponse, name: str, value: str, max_age: int, secure: bool, path: str = "/"
) -> None:
    response.cookies[name] = value
    cookie = response.cookies[name]
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["path"] = path
    cookie["max-age"] = max_age
    if secure:
        cookie["secure"] = True


def _login_page(request: Request, error: str = "", status: int = 200) -> HTTPResponse:
    """The sign-in form with a fresh double-submit CSRF token in a cookie and a hidden field."""
    token = secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        status=status,
        error=error,
        login_csrf=token,
        next=safe_next(arg(request, "next", 500) or form_value(request, "next", 500)),
    )
    _set_cookie(response, LOGIN_CSRF_COOKIE, token, 3600, request.app.ctx.settings.cookie_secure, "/login")
    return response


@signin.get("/health")
async def health(request: Request) -> HTTPResponse:
    return json({"status": "ok"})


@signin.get("/")
async def home(request: Request) -> HTTPResponse:
    return back_to("/conversations")


@signin.get("/login")
async def login_form(request: Request) -> HTTPResponse:
    if request.ctx.user:
        return back_to("/conversations")
    return _login_page(request)


@signin.post("/login")
async def login(request: Request) -> HTTPResponse:
    ctx = request.app.ctx
    name = form_value(request, "username", 64).strip().lower()
    password = form_value(request, "password", 1024)
    if not ctx.throttle.admit(name, request.ip):
        audit.record(
            ctx.console_db,
            audit.attempted_name(ctx.console_db, name),
            "sign_in_refused",
            detail="too many attempts",
        )
        return _login_page(request, "Too many failed attempts: wait a few minutes, then try again.", 429)
    user = await asyncio.get_running_loop().run_in_executor(
        None, authenticate, ctx.console_db, name, password
    )
    if user is None:
        audit.record(ctx.console_db, audit.attempted_name(ctx.console_db, name), "sign_in_failed")
        return _login_page(request, "Wrong name or password.", 401)
    ctx.throttle.succeeded(name, request.ip)
    token = ctx.sessions.open(user)
    audit.record(ctx.console_db, user.username, "sign_in")
    response = back_to(safe_next(form_value(request, "next", 500)))
    _set_cookie(
        response, SESSION_COOKIE, token, int(ctx.settings.session_hours * 3600), ctx.settings.cookie_secure
    )
    _set_cookie(response, LOGIN_CSRF_COOKIE, "", 0, ctx.settings.cookie_secure, "/login")
    return response


@signin.post("/logout")
async def logout(request: Request) -> HTTPResponse:
    request.app.ctx.sessions.close(request.ctx.session_token)
    response = back_to("/login", notice="signed_out")
    _set_cookie(response, SESSION_COOKIE, "", 0, request.app.ctx.settings.cookie_secure)
    return response

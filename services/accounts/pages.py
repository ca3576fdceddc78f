"""The HTML pages a person sees: an emailed link, and the development outbox.

`GET /links/{token}` is where an email's link leads. It works once: a device
confirmation is done on opening; a password reset shows a form to choose a
new password, judged by the registration rules, and that form works once too.
Pages carry no-store, no-referrer and a strict content security policy, since
their URLs hold working tokens.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, html

from services.accounts import links, registry
from services.accounts.errors import ApiError
from services.accounts.mail import read_outbox
from services.accounts.openapi import PASSWORD_MAX_LENGTH
from services.accounts.rules import password_too_common

pages = Blueprint("pages")

_templates = Environment(
    loader=FileSystemLoader(str(Path(__file__).parent / "templates")),
    autoescape=select_autoescape(default=True),
)
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
}


def _page(template: str, status: int = 200, **context: Any) -> HTTPResponse:
    return html(_templates.get_template(template).render(**context), status=status, headers=_HEADERS)


def _link_gone() -> HTTPResponse:
    return _page("link_gone.html", status=410)


@pages.get("/links/<token:str>")
async def open_link(request: Request, token: str) -> HTTPResponse:
    ttl = timedelta(minutes=request.app.ctx.settings.link_ttl_minutes)
    with request.app.ctx.engine.begin() as conn:
        link = links.consume(conn, token, (links.PASSWORD_RESET, links.DEVICE_CONFIRMATION))
        if link is None:
            return _link_gone()
        if link.purpose == links.DEVICE_CONFIRMATION:
            return _page("device_confirmed.html")
        form_token = links.issue(conn, link.email, links.SET_PASSWORD, ttl)
    return _page("new_password.html", form_token=form_token)


def _submitted_password(request: Request) -> str | None:
    """The one password field of an url-encoded form, or None for anything else.

    Parsed here rather than by Sanic, which logs a traceback for every
    malformed form it is sent.
    """
    if request.content_type.split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
        return None
    try:
        passwords = parse_qs(request.body.decode(), keep_blank_values=True).get("password", [])
    except (UnicodeDecodeError, ValueError):
        return None
    if len(passwords) != 1 or not 0 < len(passwords[0]) <= PASSWORD_MAX_LENGTH:
        return None
    return passwords[0]


@pages.post("/links/<token:str>")
async def set_password(request: Request, token: str) -> HTTPResponse:
    password = _submitted_password(request)
    if password is None:
        return _page("new_password.html", status=400, form_token=token, error="invalid_request")
    engine = request.app.ctx.engine
    with engine.begin() as conn:
        link = links.find(conn, token, (links.SET_PASSWORD,))
    if link is None:
        return _link_gone()
    if password_too_common(password, link.email):
        return _page("new_password.html", status=422, form_token=token, error="password_too_common")
    with engine.begin() as conn:
        link = links.consume(conn, token, (links.SET_PASSWORD,))
    if link is None or not await registry.change_password(engine, link.email, password):
        return _link_gone()
    return _page("password_changed.html")


@pages.get("/dev/outbox")
async def outbox_page(request: Request) -> HTTPResponse:
    if not request.app.ctx.settings.dev_outbox:
        raise ApiError(404, "not_found")
    with request.app.ctx.engine.begin() as conn:
        emails = read_outbox(conn, newest_first=True)
    return _page("outbox.html", emails=emails)

"""The HTML pages a person sees: an emailed link, and the development outbox.

`GET /links/{token}` is where an email's link leads, and opening it changes
nothing: mail scanners and link previews open every link in an email, and a
device confirmation done on opening was done by them. The page shows a button
(device confirmation) or the new-password form (password reset), and only the
POST they send uses the link up, once. A refused password leaves the link
usable. Pages carry no-store, no-referrer and a strict content security
policy, since their URLs hold working tokens.

`GET /dev/outbox` lists the emails with their working links, so it needs the
API token: as a bearer token, or as the password of HTTP Basic authentication,
which a browser asks for by itself (any user name).
"""

import base64
import binascii
import hmac
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


_LINK_PURPOSES = (links.PASSWORD_RESET, links.DEVICE_CONFIRMATION)


@pages.get("/links/<token:str>")
async def open_link(request: Request, token: str) -> HTTPResponse:
    """The link's page; nothing is used up until its button or form is sent."""
    with request.app.ctx.engine.begin() as conn:
        link = links.find(conn, token, _LINK_PURPOSES)
    if link is None:
        return _link_gone()
    if link.purpose == links.DEVICE_CONFIRMATION:
        return _page("confirm_device.html", form_token=token)
    return _page("new_password.html", form_token=token)


_NO_FORM = ""  # what `_submitted_password` returns for a form without a password (a device confirmation)


def _submitted_password(request: Request) -> str | None:
    """The one password field of an url-encoded form, `_NO_FORM` for an empty body or a form
    without one, or None for anything else (malformed, several password fields, too long).

    Parsed here rather than by Sanic, which logs a traceback for every
    malformed form it is sent.
    """
    if not request.body:
        return _NO_FORM
    if request.content_type.split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
        return None
    try:
        passwords = parse_qs(request.body.decode(), keep_blank_values=True).get("password", [])
    except (UnicodeDecodeError, ValueError):
        return None
    if not passwords:
        return _NO_FORM
    if len(passwords) != 1 or not 0 < len(passwords[0]) <= PASSWORD_MAX_LENGTH:
        return None
    return passwords[0]


@pages.post("/links/<token:str>")
async def use_link(request: Request, token: str) -> HTTPResponse:
    """Confirms the device, or sets the new password; the link is used up only on success."""
    password = _submitted_password(request)
    if password is None:
        return _page("new_password.html", status=400, form_token=token, error="invalid_request")
    engine = request.app.ctx.engine
    with engine.begin() as conn:
        link = links.find(conn, token, _LINK_PURPOSES)
    if link is None:
        return _link_gone()
    if link.purpose == links.DEVICE_CONFIRMATION:
        with engine.begin() as conn:
            if links.consume(conn, token, (links.DEVICE_CONFIRMATION,)) is None:
                return _link_gone()
        return _page("device_confirmed.html")
    if password == _NO_FORM:
        return _page("new_password.html", status=400, form_token=token, error="invalid_request")
    if password_too_common(password, link.email):
        return _page("new_password.html", status=422, form_token=token, error="password_too_common")
    with engine.begin() as conn:
        link = links.consume(conn, token, (links.PASSWORD_RESET,))
    if link is None or not await registry.change_password(engine, link.email, password):
        return _link_gone()
    return _page("password_changed.html")


def _holds_api_token(request: Request) -> bool:
    """Bearer <token>, or Basic with <token> as the password."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    provided = credentials.strip()
    if scheme.lower() == "basic":
        try:
            provided = base64.b64decode(provided, validate=True).decode().partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            return False
    elif scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(provided.encode(), request.app.ctx.settings.api_token.encode())


@pages.get("/dev/outbox")
async def outbox_page(request: Request) -> HTTPResponse:
    if not request.app.ctx.settings.dev_outbox:
        raise ApiError(404, "not_found")
    if not _holds_api_token(request):
        raise ApiError(
            401,
            "unauthorized",
            headers={"WWW-Authenticate": 'Basic realm="dev outbox: the API token as password"'},
        )
    with request.app.ctx.engine.begin() as conn:
        emails = read_outbox(conn, newest_first=True)
    return _page("outbox.html", emails=emails)

"""What every page handler shares: rendering, redirects, form values, roles, notices.

Templates are Jinja2 with autoescaping on for every file, and no handler marks
customer text as safe, so a customer's `<script>` is shown as text. Notices
after a redirect are chosen from a fixed list by key (`?notice=taken`), so a
link cannot make the console display arbitrary text.
"""

import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic.exceptions import Forbidden
from sanic.request import Request
from sanic.response import HTTPResponse, html, redirect

from services.console.auth import User

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

NOTICES = {
    "taken": "You have taken this conversation over: the assistant is paused and the customer was told.",
    "replied": "Your reply was sent.",
    "handed_back": "The conversation is back with the assistant; the customer was told.",
    "reviewed": "Review saved.",
    "tags": "Tags saved.",
    "note": "Note added.",
    "corrected": "Correction saved: it is in the NLU export.",
    "erased": "The conversation was erased everywhere; the erasure is recorded.",
    "erased_here_only": "The conversation was erased from the console and the tracker store, but the "
    "account service could not be reached: erase its copies with "
    "`python -m services.console erase` once it answers.",
    "signed_out": "You are signed out.",
}


def when(timestamp: float | None) -> str:
    """A tracker timestamp as UTC date and time, as every page shows times."""
    if not timestamp:
        return ""
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def percent(value: float) -> str:
    """A share as a whole percentage, as the dashboard shows rates."""
    return f"{value * 100:.0f}%"


def template_environment() -> Environment:
    """The Jinja2 environment of the console's templates."""
    environment = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(enabled_extensions=("html", "svg"), default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["when"] = when
    environment.filters["percent"] = percent
    environment.filters["ago"] = ago
    environment.globals["urlencode"] = urlencode
    return environment


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTTPResponse:
    """The template rendered for the signed-in user, with their CSRF token and any notice."""
    notice_key = request.args.get("notice", "")
    page = request.app.ctx.templates.get_template(template).render(
        user=request.ctx.user,
        csrf_token=getattr(request.ctx, "csrf_token", ""),
        notice=NOTICES.get(notice_key, ""),
        path=request.path,
        **context,
    )
    return html(page, status=status)


def back_to(path: str, **params: str) -> HTTPResponse:
    """A 303 redirect to a console path with query parameters (after a form POST)."""
    query = urlencode({k: v for k, v in params.items() if v})
    return redirect(f"{path}?{query}" if query else path, status=303)


def form_value(request: Request, name: str, limit: int = 4000) -> str:
    """One field of a url-encoded form, "" when absent, cut at `limit` characters."""
    return (request.form.get(name) or "")[:limit] if request.form else ""


def user_of(request: Request) -> User:
    """The signed-in user (the guard has already refused anonymous requests)."""
    return request.ctx.user


def require_admin(request: Request) -> User:
    """The signed-in user if they are an admin; 403 otherwise."""
    user = user_of(request)
    if not user.is_admin:
        raise Forbidden("admins only")
    return user


def from_script(request: Request) -> bool:
    """Whether the console's own script sent this POST (it carries the CSRF token as a header
    and wants a status and a short text, not a page)."""
    return bool(request.headers.get("x-csrf-token"))


def ago(timestamp: float | None, now: float | None = None) -> str:
    """How long ago `timestamp` was, as a waiting time reads: "45 s", "12 min", "3 h 05 min", "2 d"."""
    if not timestamp:
        return ""
    seconds = max(0, int((now or time.time()) - timestamp))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    return f"{seconds // 86400} d"


def arg(request: Request, name: str, limit: int = 255) -> str:
    """One query-string value, "" when absent."""
    return (request.args.get(name) or "")[:limit]

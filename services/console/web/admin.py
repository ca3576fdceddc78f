"""Admins only: the audit trail, the erasure records, erasing a conversation on request, the agents'
accounts (services.console.users) and the canned replies (services.console.canned)."""

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.account_api import AccountApiUnavailable
from services.console import audit, canned, retention, users
from services.console.auth import ROLES, AccountError
from services.console.canned import CannedReplyError
from services.console.web.common import arg, back_to, form_value, render, require_admin

admin = Blueprint("admin")
AUDIT_PAGE = 100


@admin.get("/audit")
async def audit_trail(request: Request) -> HTTPResponse:
    require_admin(request)
    before = arg(request, "before", 20)
    filters = {name: arg(request, name) for name in ("actor", "action", "conversation_id")}
    entries = audit.entries(
        request.app.ctx.console_db, AUDIT_PAGE, int(before) if before.isdigit() else None, **filters
    )
    return render(
        request,
        "audit.html",
        entries=entries,
        erasures=retention.records(request.app.ctx.console_db, AUDIT_PAGE),
        filters=filters,
        actions=audit.ACTIONS,
        next_before=entries[-1]["id"] if len(entries) == AUDIT_PAGE else None,
    )


@admin.post("/conversation/erase")
async def erase(request: Request) -> HTTPResponse:
    user = require_admin(request)
    ctx = request.app.ctx
    erased = retention.erase(ctx.tracker_db, ctx.console_db, [form_value(request, "id", 255)], user.username)
    if erased.conversation_ids:
        try:
            await retention.erase_in_account_service(ctx.accounts, ctx.console_db, erased, user.username)
        except AccountApiUnavailable:
            return back_to("/conversations", notice="erased_here_only")
    return back_to("/conversations", notice="erased")


USER_NOTICES = {
    "create": "Account created.",
    "disable": "Account disabled: its sessions ended.",
    "enable": "Account enabled.",
    "role": "Role changed.",
    "password": "Password reset: the account's sessions ended.",
}


@admin.get("/users")
async def user_list(request: Request) -> HTTPResponse:
    return _user_page(request)


def _user_page(request: Request, error: str = "", status: int = 200) -> HTTPResponse:
    """The accounts page, with a refused change's reason when there is one (a route handler
    wrapped by Sanic's decorator cannot be called again from another)."""
    require_admin(request)
    return render(
        request,
        "users.html",
        status=status,
        accounts=users.accounts(request.app.ctx.console_db),
        roles=ROLES,
        error=error,
        done=USER_NOTICES.get(arg(request, "done", 16), ""),
    )


@admin.post("/users")
async def user_change(request: Request) -> HTTPResponse:
    """One change to an account, chosen by the form's `action` field; a refusal is shown on the page."""
    actor = require_admin(request).username
    engine = request.app.ctx.console_db
    action, name = form_value(request, "action", 16), form_value(request, "username", 64).strip().lower()
    try:
        if action == "create":
            users.create(
                engine, name, form_value(request, "password", 1024), form_value(request, "role", 16), actor
            )
        elif action in ("disable", "enable"):
            if action == "disable" and name == actor:
                raise AccountError("you cannot disable your own account")
            users.set_disabled(engine, name, action == "disable", actor)
        elif action == "role":
            users.set_role(engine, name, form_value(request, "role", 16), actor)
        elif action == "password":
            users.reset_password(engine, name, form_value(request, "password", 1024), actor)
        else:
            raise AccountError("unknown change")
    except AccountError as refusal:
        return _user_page(request, str(refusal), 400)
    return back_to("/users", done=action)


@admin.get("/canned")
async def canned_list(request: Request) -> HTTPResponse:
    return _canned_page(request)


def _canned_page(request: Request, error: str = "", status: int = 200) -> HTTPResponse:
    """The canned replies page, with a refused change's reason when there is one."""
    require_admin(request)
    engine = request.app.ctx.console_db
    editing = next((r for r in canned.replies(engine) if str(r["id"]) == arg(request, "edit", 20)), None)
    return render(
        request,
        "canned.html",
        status=status,
        replies=canned.replies(engine),
        editing=editing,
        languages=canned.LANGUAGES,
        error=error,
    )


@admin.post("/canned")
async def canned_change(request: Request) -> HTTPResponse:
    actor = require_admin(request).username
    engine = request.app.ctx.console_db
    reply_id = form_value(request, "reply_id", 20)
    try:
        if form_value(request, "action", 16) == "delete":
            canned.remove(engine, reply_id)
            audit.record(engine, actor, "canned_reply", None, f"deleted #{reply_id}")
        else:
            language, title = form_value(request, "language", 8), form_value(request, "title", 200)
            canned.save(engine, reply_id, language, title, form_value(request, "text"), actor)
            audit.record(engine, actor, "canned_reply", None, f"saved {language}: {title}")
    except CannedReplyError as refusal:
        return _canned_page(request, str(refusal), 400)
    return back_to("/canned")

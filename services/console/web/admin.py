"""Admins only: the audit trail, the erasure records, and erasing a conversation on request."""

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.account_api import AccountApiUnavailable
from services.console import audit, retention
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

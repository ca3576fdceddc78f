"""The live handoff queue, and taking a conversation over, replying, and handing it back.

The queue updates itself: the page re-reads its rows (`/handoffs/rows`) every few seconds, and
every page of the console asks `/queue/status` for the conversations waiting for a person, to
show their number in the tab's title and the navigation and to ring or notify on a new one
(static/console.js). Both read the summaries after a sync, so a hand-off shows up within one
polling interval. A reply sent by the composer's script gets 204 or the refusal as text, and
the page never reloads.
"""

from collections.abc import Awaitable, Callable

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, empty, json, text

from services.console import handoff
from services.console.handoff import HandoffError
from services.console.queries import QUEUE_LIMIT, QUEUE_ORDERS, QUEUE_VIEWS, handoff_queue, waiting_status
from services.console.rasa_api import RasaError
from services.console.web.common import arg, back_to, form_value, from_script, render, user_of
from services.console.web.conversations import transcript_page

takeover = Blueprint("takeover")
STATUS_IDS = 50


def _queue_context(request: Request) -> dict:
    view = arg(request, "view", 16) if arg(request, "view", 16) in QUEUE_VIEWS else "all"
    order = arg(request, "order", 16) if arg(request, "order", 16) in QUEUE_ORDERS else "longest"
    rows = handoff_queue(request.app.ctx.console_db, view, user_of(request).username, order)
    return {
        "queue": rows,
        "view": view,
        "order": order,
        "views": QUEUE_VIEWS,
        "orders": QUEUE_ORDERS,
        "limit": QUEUE_LIMIT,
    }


@takeover.get("/handoffs")
async def queue(request: Request) -> HTTPResponse:
    await request.app.ctx.sync_now()
    return render(request, "handoffs.html", **_queue_context(request))


@takeover.get("/handoffs/rows")
async def queue_rows(request: Request) -> HTTPResponse:
    """The queue's rows alone, which the open queue page re-reads."""
    await request.app.ctx.sync_now()
    return render(request, "_queue_rows.html", **_queue_context(request))


@takeover.get("/queue/status")
async def queue_status(request: Request) -> HTTPResponse:
    """The conversations waiting for a person that nobody holds: their number, the newest ids, and
    the time of the newest hand-off (a page rings when it moves on)."""
    await request.app.ctx.sync_now()
    return json(waiting_status(request.app.ctx.console_db, STATUS_IDS))


async def _act(request: Request, action: Callable[..., Awaitable[None]], notice: str) -> HTTPResponse:
    """Runs one takeover action; a refusal or an unreachable Rasa is shown on the conversation page
    (or returned as text to the page's script, which shows it without reloading)."""
    conversation_id = form_value(request, "id", 255)
    try:
        await action(request.app.ctx.console_db, request.app.ctx.rasa, conversation_id, user_of(request))
    except (HandoffError, RasaError) as refusal:
        if from_script(request):
            return text(str(refusal), status=409)
        return transcript_page(request, conversation_id, str(refusal), 409)
    await request.app.ctx.sync_now()
    if from_script(request):
        return empty()
    return back_to("/conversation", id=conversation_id, notice=notice)


@takeover.post("/conversation/take")
async def take(request: Request) -> HTTPResponse:
    return await _act(request, handoff.take, "taken")


@takeover.post("/conversation/reply")
async def reply(request: Request) -> HTTPResponse:
    message = form_value(request, "text", handoff.MAX_REPLY_CHARACTERS + 1)
    return await _act(
        request, lambda db, rasa, cid, user: handoff.reply(db, rasa, cid, user, message), "replied"
    )


@takeover.post("/conversation/hand-back")
async def hand_back(request: Request) -> HTTPResponse:
    outcome = form_value(request, "outcome", 64)
    return await _act(
        request, lambda db, rasa, cid, user: handoff.hand_back(db, rasa, cid, user, outcome), "handed_back"
    )

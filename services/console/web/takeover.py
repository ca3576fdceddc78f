"""The handoff queue, and taking a conversation over, replying, and handing it back."""

from collections.abc import Awaitable, Callable

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from services.console import handoff
from services.console.handoff import HandoffError
from services.console.queries import handoff_queue
from services.console.rasa_api import RasaError
from services.console.web.common import back_to, form_value, render, user_of
from services.console.web.conversations import transcript_page

takeover = Blueprint("takeover")


@takeover.get("/handoffs")
async def queue(request: Request) -> HTTPResponse:
    await request.app.ctx.sync_now()
    return render(request, "handoffs.html", queue=handoff_queue(request.app.ctx.console_db))


async def _act(request: Request, action: Callable[..., Awaitable[None]], notice: str) -> HTTPResponse:
    """Runs one takeover action; a refusal or an unreachable Rasa is shown on the conversation page."""
    conversation_id = form_value(request, "id", 255)
    try:
        await action(request.app.ctx.console_db, request.app.ctx.rasa, conversation_id, user_of(request))
    except (HandoffError, RasaError) as refusal:
        return transcript_page(request, conversation_id, str(refusal), 409)
    await request.app.ctx.sync_now()
    return back_to("/conversation", id=conversation_id, notice=notice)


@takeover.post("/conversation/take")
async def take(request: Request) -> HTTPResponse:
    return await _act(request, handoff.take, "taken")


@takeover.post("/conversation/reply")
async def reply(request: Request) -> HTTPResponse:
    text = form_value(request, "text", handoff.MAX_REPLY_CHARACTERS + 1)
    return await _act(
        request, lambda db, rasa, cid, user: handoff.reply(db, rasa, cid, user, text), "replied"
    )


@takeover.post("/conversation/hand-back")
async def hand_back(request: Request) -> HTTPResponse:
    outcome = form_value(request, "outcome", 64)
    return await _act(
        request, lambda db, rasa, cid, user: handoff.hand_back(db, rasa, cid, user, outcome), "handed_back"
    )

"""The "try it" page: talk to the assistant in the browser, through the REST channel.

Each console session has its own REST conversation (`console-try-…`). The
page re-reads its conversation from the tracker store every few seconds,
because on REST an agent's messages only land in the tracker (the REST
output channel collects, nobody pushes); so an agent who takes the
conversation over is seen here as a customer would see them.
"""

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, empty

from services.console.rasa_api import RasaError
from services.console.transcript import Item, read_events, to_items
from services.console.web.common import back_to, form_value, from_script, render

try_it = Blueprint("try_it")
MAX_MESSAGE_CHARACTERS = 1000


def _sender(request: Request) -> str:
    return request.app.ctx.sessions.try_sender(request.ctx.session_token)


def _messages(request: Request, sender: str) -> list[Item]:
    """What the customer sees of the conversation: their messages, the assistant's and the agents'."""
    ctx = request.app.ctx
    items = to_items(read_events(ctx.tracker_db, sender), ctx.settings.low_confidence, {})
    return [item for item in items if item.kind in ("customer", "bot", "agent")]


@try_it.get("/try")
async def try_page(request: Request) -> HTTPResponse:
    sender = _sender(request)
    return render(request, "try.html", sender=sender, items=_messages(request, sender))


@try_it.get("/try/messages")
async def try_messages(request: Request) -> HTTPResponse:
    return render(request, "_try_messages.html", items=_messages(request, _sender(request)))


@try_it.post("/try/send")
async def try_send(request: Request) -> HTTPResponse:
    message = form_value(request, "message", MAX_MESSAGE_CHARACTERS).strip()
    if message:
        try:
            await request.app.ctx.rasa.say(_sender(request), message)
        except RasaError as failure:
            return HTTPResponse(str(failure), status=502, content_type="text/plain; charset=utf-8")
    if from_script(request):  # the page's script: it re-reads the messages itself
        return empty()
    return back_to("/try")

"""The dashboard page: containment, fallback rate and intents per day, by language and channel."""

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from services.console.dashboard import dashboard
from services.console.queries import facets
from services.console.web.common import arg, render

charts = Blueprint("charts")
PERIODS = (1, 7, 30, 90)


@charts.get("/dashboard")
async def dashboard_page(request: Request) -> HTTPResponse:
    ctx = request.app.ctx
    await ctx.sync_now()
    days = int(arg(request, "days")) if arg(request, "days") in {str(p) for p in PERIODS} else 30
    language, channel = arg(request, "language", 8), arg(request, "channel", 32)
    return render(
        request,
        "dashboard.html",
        data=dashboard(ctx.console_db, days, language, channel),
        days=days,
        periods=PERIODS,
        language=language,
        channel=channel,
        facets=facets(ctx.console_db),
    )

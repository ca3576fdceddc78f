"""Assembling the console's Sanic application from settings.

Access logging is off: request lines carry conversation ids and search text.
Handlers query the databases directly (indexed queries of a few milliseconds,
for a handful of agents); the summaries are brought up to date every
CONSOLE_SYNC_SECONDS in the background and before each list or transcript
page, one sync at a time, in a worker thread so that the event loop keeps
serving while a large backlog is read.
"""

import asyncio
import logging
from pathlib import Path

from sanic import Sanic
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse, html

from actions.account_api import AccountApiClient
from services.console.auth import Sessions, Throttle
from services.console.rasa_api import RasaClient
from services.console.review import domain_intents
from services.console.schema import open_console_db, open_tracker_db
from services.console.settings import Settings
from services.console.sync import sync
from services.console.web import guard
from services.console.web.admin import admin
from services.console.web.charts import charts
from services.console.web.common import template_environment
from services.console.web.conversations import conversations
from services.console.web.signin import signin
from services.console.web.takeover import takeover
from services.console.web.try_it import try_it

logger = logging.getLogger(__name__)

APP_NAME = "parallels_console"
STATIC = Path(__file__).resolve().parent / "static"
MAX_REQUEST_BYTES = 64 * 1024
PAGE_SYNC_SECONDS = 2.0


def _error_page(request: Request, exception: Exception) -> HTTPResponse:
    """A short page for every error; an unexpected one is logged, its details never shown."""
    if isinstance(exception, SanicException):
        status, message = exception.status_code, str(exception) or "error"
    else:
        logger.exception("unexpected error on %s %s", request.method, request.path)
        status, message = 500, "Something went wrong; the error is logged."
    page = request.app.ctx.templates.get_template("error.html").render(status=status, message=message)
    return html(page, status=status)


def _install_sync(app: Sanic, settings: Settings) -> None:
    lock = asyncio.Lock()

    async def sync_once() -> None:
        async with lock:
            await asyncio.get_running_loop().run_in_executor(
                None, sync, app.ctx.tracker_db, app.ctx.console_db, settings.low_confidence
            )

    async def sync_now() -> None:
        """Folds new tracker events into the summaries before a page is built.

        Waits at most PAGE_SYNC_SECONDS: a long backlog (the first start over a big
        store) goes on in the background while the page shows what is summarised so far;
        a failing tracker store is logged and the page still shows the summaries.
        """
        try:
            await asyncio.wait_for(asyncio.shield(sync_once()), PAGE_SYNC_SECONDS)
        except asyncio.TimeoutError:
            pass
        except Exception as error:
            logger.warning("reading the tracker store failed: %s", type(error).__name__)

    async def keep_in_sync() -> None:
        while True:
            try:
                await sync_once()
            except Exception as error:  # the tracker store may be briefly unavailable; try again later
                logger.warning("reading the tracker store failed: %s", type(error).__name__)
            await asyncio.sleep(settings.sync_seconds)

    app.ctx.sync_now = sync_now

    @app.after_server_start
    async def start(app_: Sanic, loop: asyncio.AbstractEventLoop) -> None:
        app_.ctx.rasa = RasaClient(
            settings.rasa_url, settings.rasa_token, settings.rest_token, settings.rasa_timeout
        )
        # Asked to erase its copies of an erased conversation; without a token it says it cannot.
        app_.ctx.accounts = AccountApiClient(settings.account_api_url, settings.account_api_token or "")
        app_.ctx.sync_task = loop.create_task(keep_in_sync())

    @app.before_server_stop
    async def stop(app_: Sanic, loop: asyncio.AbstractEventLoop) -> None:
        app_.ctx.sync_task.cancel()
        await app_.ctx.rasa.close()


def create_app(settings: Settings) -> Sanic:
    """The console for `settings`, its databases opened."""
    app = Sanic(APP_NAME)
    app.config.REQUEST_MAX_SIZE = MAX_REQUEST_BYTES
    app.config.MOTD = False
    app.ctx.settings = settings
    app.ctx.console_db = open_console_db(settings.console_db_url)
    app.ctx.tracker_db = open_tracker_db(settings.tracker_db_url)
    app.ctx.sessions = Sessions(app.ctx.console_db, settings.secret_key, settings.session_hours)
    app.ctx.throttle = Throttle(
        app.ctx.console_db, app.ctx.sessions, settings.login_max_failures, settings.login_window_minutes
    )
    app.ctx.templates = template_environment()
    app.ctx.intents = domain_intents()
    _install_sync(app, settings)
    guard.install(app)
    for blueprint in (signin, conversations, takeover, admin, charts, try_it):
        app.blueprint(blueprint)
    app.static("/static", str(STATIC), name="static")
    app.error_handler.add(Exception, _error_page)
    return app

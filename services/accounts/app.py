"""Assembling the Sanic application from settings.

Access logging is off on purpose: request lines would carry addresses
(`DELETE /v1/accounts/{email}`, `?to=`) and working link tokens into logs.
"""

import json
from functools import partial

from sanic import Sanic

from services.accounts.api import public, v1
from services.accounts.errors import install_error_handlers
from services.accounts.pages import pages
from services.accounts.seed import seed_demo
from services.accounts.settings import Settings
from services.accounts.storage import open_database

APP_NAME = "parallels_accounts"
# Far above any valid request (a ticket summary is at most 4000 characters).
MAX_REQUEST_BYTES = 64 * 1024


def create_app(settings: Settings) -> Sanic:
    """The service for `settings`, its database opened (and seeded when asked)."""
    # The standard library's encoder: Sanic's default (ujson) escapes every "/" in links.
    app = Sanic(APP_NAME, dumps=partial(json.dumps, separators=(",", ":")))
    app.config.REQUEST_MAX_SIZE = MAX_REQUEST_BYTES
    app.config.MOTD = False
    app.ctx.settings = settings
    app.ctx.engine = open_database(settings.database_url)
    if settings.seed_demo:
        seed_demo(app.ctx.engine)
    app.blueprint(v1)
    app.blueprint(public)
    app.blueprint(pages)
    install_error_handlers(app)
    return app

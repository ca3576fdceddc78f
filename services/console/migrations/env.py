"""Alembic's entry point for the agents' console's migrations (see ../alembic.ini)."""

from bot.database import run_migrations
from services.console.schema import metadata

run_migrations(metadata, "CONSOLE_DB_URL", "sqlite:///var/console.db")

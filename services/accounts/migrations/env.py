"""Alembic's entry point for the account service's migrations (see ../alembic.ini)."""

from bot.database import run_migrations
from services.accounts.storage import metadata

run_migrations(metadata, "ACCOUNT_DATABASE_URL", "sqlite:///var/accounts.db")

"""Demo data (ACCOUNT_SEED_DEMO=1): one account, and one address in its cooldown.

With it a demonstration can show, without any setup, both a reset email
arriving (demo@example.com) and the article's "this address was deleted"
error (deleted@example.com). Seeding is idempotent: what exists is left alone,
so restarting does not reset the cooldown.
"""

import secrets
from datetime import timedelta

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection, Engine

from services.accounts.registry import hash_password
from services.accounts.storage import accounts, deleted_addresses, utcnow

DEMO_ACCOUNT = "demo@example.com"
DELETED_ADDRESS = "deleted@example.com"
DELETED_DAYS_AGO = 10


def _exists(conn: Connection, table: Table, email: str) -> bool:
    return conn.execute(select(table.c.email).where(table.c.email == email)).first() is not None


def seed_demo(engine: Engine) -> None:
    """Creates the demo account and the recently deleted address unless they exist."""
    with engine.begin() as conn:
        if not _exists(conn, accounts, DEMO_ACCOUNT):
            # Nobody knows this password: the demo is about the reset flow, which sets a known one.
            conn.execute(
                accounts.insert().values(
                    email=DEMO_ACCOUNT,
                    password_hash=hash_password(secrets.token_urlsafe(24)),
                    created_at=utcnow(),
                )
            )
        if not _exists(conn, accounts, DELETED_ADDRESS) and not _exists(
            conn, deleted_addresses, DELETED_ADDRESS
        ):
            conn.execute(
                deleted_addresses.insert().values(
                    email=DELETED_ADDRESS, deleted_at=utcnow() - timedelta(days=DELETED_DAYS_AGO)
                )
            )

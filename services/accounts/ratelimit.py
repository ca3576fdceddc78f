"""At most `MAX_REQUESTS` reset or confirmation requests per address per hour.

The limit protects a customer's inbox from being flooded by whoever knows the
address. Requests are counted per address whether or not an account exists,
so a 429 reveals nothing about accounts either. Rows hold a SHA-256 digest of
the address, never the address itself, and are deleted once out of the window.
A refused request is not counted, so a caller who waits `retry_after` seconds
is served.
"""

import hashlib
import math
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Connection

from services.accounts.errors import ApiError
from services.accounts.storage import address_requests, utcnow

MAX_REQUESTS = 3
WINDOW = timedelta(hours=1)


def count_request(conn: Connection, email: str) -> None:
    """Records one request for `email`, or raises a 429 with Retry-After when over the limit."""
    now = utcnow()
    digest = hashlib.sha256(email.encode()).hexdigest()
    conn.execute(delete(address_requests).where(address_requests.c.created_at <= now - WINDOW))
    recent = address_requests.c.address_sha256 == digest
    count, oldest = conn.execute(
        select(func.count(), func.min(address_requests.c.created_at)).where(recent)
    ).one()
    if count >= MAX_REQUESTS:
        retry_after = max(1, math.ceil((oldest + WINDOW - now).total_seconds()))
        raise ApiError(429, "rate_limited", {"retry_after": retry_after}, {"Retry-After": str(retry_after)})
    conn.execute(address_requests.insert().values(address_sha256=digest, created_at=now))

"""Redis for Rasa's lock store: a child process on loopback that keeps nothing on disk.

The lock store only holds short-lived per-conversation tickets, so persistence would only
slow it down; after a restart the locks start empty, which Rasa copes with.
"""

from typing import Text

from bot.processes import Service


def service(redis_server: Text, port: int) -> Service:
    """redis-server on 127.0.0.1:`port` without snapshots or an append-only file."""
    return Service(
        "redis",
        [redis_server, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
         "--appendonly", "no", "--protected-mode", "yes", "--loglevel", "warning"],
        f"tcp://127.0.0.1:{port}",
    )

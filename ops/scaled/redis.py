"""Redis for Rasa's lock store: a child process on loopback that keeps nothing on disk.

The lock store only holds short-lived per-conversation tickets, so persistence would only
slow it down; after a restart the locks start empty, which Rasa copes with. A password (from
.env, in a config file only its owner reads, never on the command line) keeps other local users
from rewriting a conversation's lock; when we are root it runs as Debian's `redis` account.
"""

from pathlib import Path

from ops.processes import Service
from ops.scaled.debian import hand_over, server_account

CONFIG = """\
# Written by ops.scaled.redis for `make run-scaled`; regenerated on every start.
bind 127.0.0.1
port {port}
protected-mode yes
save ""
appendonly no
loglevel warning
dir {folder}
requirepass {password}
"""


ACCOUNT = "redis"


def write_config(folder: Path, port: int, password: str) -> Path:
    """The config file, readable by the server's account only."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "redis.conf"
    path.touch(mode=0o600)
    path.chmod(0o600)
    # `dir`: Redis looks for a dump there at start, even with saving off; the working directory
    # it inherits may be closed to its account.
    path.write_text(CONFIG.format(port=port, password=password, folder=folder))
    for owned in (folder, path):
        hand_over(owned, server_account(ACCOUNT))
    return path


def service(redis_server: str, config: Path, port: int) -> Service:
    """redis-server on 127.0.0.1:`port` from `config`."""
    return Service(
        "redis", [redis_server, str(config)], f"tcp://127.0.0.1:{port}", user=server_account(ACCOUNT)
    )

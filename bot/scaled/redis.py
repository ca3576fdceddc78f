"""Redis for Rasa's lock store: a child process on loopback that keeps nothing on disk.

The lock store only holds short-lived per-conversation tickets, so persistence would only
slow it down; after a restart the locks start empty, which Rasa copes with. A password (from
.env, in a config file only its owner reads, never on the command line) keeps other local users
from rewriting a conversation's lock; when we are root it runs as Debian's `redis` account.
"""

import os
import pwd
from pathlib import Path
from typing import Optional, Text

from bot.processes import Service

CONFIG = """\
# Written by bot.scaled.redis for `make run-scaled`; regenerated on every start.
bind 127.0.0.1
port {port}
protected-mode yes
save ""
appendonly no
loglevel warning
dir {folder}
requirepass {password}
"""


def server_user() -> Optional[Text]:
    """The account the server runs as: `redis` when we are root, else ourselves."""
    return "redis" if os.geteuid() == 0 else None


def write_config(folder: Path, port: int, password: Text) -> Path:
    """The config file, readable by the server's account only."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "redis.conf"
    path.touch(mode=0o600)
    path.chmod(0o600)
    # `dir`: Redis looks for a dump there at start, even with saving off; the working directory
    # it inherits may be closed to its account.
    path.write_text(CONFIG.format(port=port, password=password, folder=folder))
    user = server_user()
    if user:
        entry = pwd.getpwnam(user)
        for owned in (folder, path):
            os.chown(owned, entry.pw_uid, entry.pw_gid)
    return path


def service(redis_server: Text, config: Path, port: int) -> Service:
    """redis-server on 127.0.0.1:`port` from `config`."""
    return Service("redis", [redis_server, str(config)], f"tcp://127.0.0.1:{port}",
                   user=server_user())

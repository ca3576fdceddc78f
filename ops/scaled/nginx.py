"""nginx in front of the Rasa workers and the action servers.

Rasa's REST channel and HTTP API and the action server's webhook are plain HTTP, so a stock
reverse proxy spreads them. A worker that refuses connections is skipped for a few seconds
(`max_fails`/`fail_timeout`) and the request goes to another one. A POST already handed to a
worker is never sent to a second one (nginx's default for non-idempotent requests), so a turn
cannot be processed twice.

The Rasa workers are chosen by conversation (`hash ... consistent`): every turn of a
conversation goes to the same worker while it is up, so the tracker that worker kept from the
conversation's previous turn (bot/runtime/tracker_store.py) is the one the turn continues, after
the one query that checks it; taking turns between workers would make each of them read the other's
rows back and re-apply them. The conversation is read where each entry point carries it: the
path of Rasa's HTTP API (`/conversations/<id>/...`), the REST channel's `"sender"`, Messenger's
`"sender": {"id": ...}`, Telegram's `"chat": {"id": ...}` and X's `"sender_id"` in the body
(nginx has read the whole body before it picks a worker: `client_body_buffer_size` equals the
body limit). Anything else (health checks, `/model/parse`) is spread by its request id. When a
conversation's worker is down, the consistent hash moves only that worker's conversations, to
the next worker on its ring, and they come back when it does. Routing is only about warm
caches: whichever worker gets a turn, the Redis lock and the tracker in PostgreSQL keep it
correct, so a body that names a conversation in a misleading way costs a cache miss, nothing else.
"""

from collections.abc import Sequence
from pathlib import Path

from ops.processes import Service

CONFIG = """\
# Written by ops.scaled.nginx for `make run-scaled`; regenerated on every start.
worker_processes 1;
pid {prefix}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 2048; }}
http {{
    access_log off;
    client_max_body_size 2m;
    client_body_buffer_size 2m;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;

{conversation_maps}
    upstream rasa {{
        hash $conversation consistent;
{rasa_servers}
        keepalive 64;
        keepalive_timeout 4s;   # below Sanic's 5 s: never reuse a connection the server is closing
    }}
    upstream actions {{
{action_servers}
        keepalive 32;
        keepalive_timeout 4s;
    }}
{servers}
}}
"""

# Which conversation a request belongs to (see above): the conversation ids the channels give Rasa,
# the first match wins. A raw string: nginx reads `\\` in a quoted string as one backslash.
CONVERSATION_MAPS = r"""    map $request_body $conversation_in_body {
        '~"sender"\s*:\s*"(?<rest>[^"\\\\]{1,256})"' $rest;
        '~"sender"\s*:\s*\{\s*"id"\s*:\s*"(?<psid>[0-9]{1,40})"' messenger:$psid;
        '~"chat"\s*:\s*\{\s*"id"\s*:\s*(?<chat>-?[0-9]{1,40})' telegram:$chat;
        '~"sender_id"\s*:\s*"(?<x>[0-9]{1,40})"' twitter:$x;
        default $request_id;
    }
    map $uri $conversation {
        "~^/conversations/(?<api>[^/]{1,512})/" $api;
        default $conversation_in_body;
    }
"""

SERVER = """\
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://{upstream};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 120s;
            proxy_next_upstream error timeout http_502 http_503;
            proxy_buffering off;
        }}
    }}
"""


def _upstream(ports: Sequence[int]) -> str:
    return "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in ports)


def write_config(
    prefix: Path,
    rasa_port: int,
    rasa_workers: Sequence[int],
    actions_port: int,
    action_servers: Sequence[int],
) -> Path:
    """Writes nginx.conf under `prefix` and returns its path."""
    prefix.mkdir(parents=True, exist_ok=True)
    servers = SERVER.format(port=rasa_port, upstream="rasa") + SERVER.format(
        port=actions_port, upstream="actions"
    )
    path = prefix / "nginx.conf"
    path.write_text(
        CONFIG.format(
            prefix=prefix,
            conversation_maps=CONVERSATION_MAPS,
            rasa_servers=_upstream(rasa_workers),
            action_servers=_upstream(action_servers),
            servers=servers,
        )
    )
    return path


def service(nginx: str, prefix: Path, config: Path, rasa_port: int) -> Service:
    """nginx in the foreground, ready once it proxies a Rasa worker."""
    return Service(
        "nginx",
        [nginx, "-p", str(prefix), "-c", str(config), "-e", "stderr", "-g", "daemon off;"],
        f"http://127.0.0.1:{rasa_port}/",
    )

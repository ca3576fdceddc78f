"""nginx in front of the Rasa workers and the action servers.

Rasa's REST channel and HTTP API and the action server's webhook are plain HTTP, so a stock
reverse proxy spreads them: round robin over the workers, a worker that refuses connections is
skipped for a few seconds (`max_fails`/`fail_timeout`) and the request goes to the next one.
A POST already handed to a worker is never sent to a second one (nginx's default for
non-idempotent requests), so a turn cannot be processed twice.
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

    upstream rasa {{
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

"""Which servers the scaled topology starts, on which ports, with which settings.

Settings (defaults in brackets; the rest as for `make run`):
- SCALED_RASA_WORKERS [2]: Rasa servers behind nginx; they listen on RASA_WORKER_PORT [5101],
  5102, ...
- SCALED_ACTION_SERVERS [1]: action servers behind nginx, on ACTIONS_WORKER_PORT [5151], ...
- RASA_PORT [5005] and ACTIONS_PORT [5055]: where nginx listens for them.
- POSTGRES_PORT [5433], REDIS_PORT [6380]: the private PostgreSQL and Redis servers.
- SCALED_DATA [var/scaled]: the PostgreSQL cluster and nginx's files.
- TICKET_LOCK_LIFETIME [20]: seconds after which Rasa's lock on a conversation expires (Rasa's
  default is 60): a worker that dies mid-turn holds its conversation that long.
"""

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from ops.environment import ROOT
from ops.processes import Service
from ops.scaled import nginx, postgres, redis
from ops.scaled.debian import servers
from ops.services import MODELS, account_service, action_server, console_server, rasa_server

ENDPOINTS = ROOT / "endpoints-scaled.yml"
DATABASES = ("tracker", "accounts", "console")
SCALED_DEFAULTS = {
    "SCALED_RASA_WORKERS": "2",
    "SCALED_ACTION_SERVERS": "1",
    "RASA_WORKER_PORT": "5101",
    "ACTIONS_WORKER_PORT": "5151",
    "POSTGRES_PORT": "5433",
    "REDIS_PORT": "6380",
    "SCALED_DATA": "var/scaled",
    "TICKET_LOCK_LIFETIME": "20",
}


@dataclass
class Topology:
    """The services in start order and the environment they share."""

    services: list[Service]
    env: dict[str, str]
    workers: list[str]  # names of the Rasa worker services
    worker_ports: list[int]


def check_reachable(data: Path) -> None:
    """PostgreSQL and Redis run as their own accounts when we are root: every folder above
    SCALED_DATA must let others through, which a project under /root does not."""
    if os.geteuid() != 0:
        return
    closed = [p for p in data.resolve().parents if p.exists() and not p.stat().st_mode & stat.S_IXOTH]
    if closed:
        raise RuntimeError(
            f"{closed[0]} is closed to other accounts, so PostgreSQL and Redis (run as postgres and "
            f"redis) cannot reach {data}: set SCALED_DATA to a folder they can reach, e.g. "
            "/var/tmp/assistant-scaled"
        )


def worker_count(env: dict[str, str], name: str) -> int:
    """The number of servers `name` asks for, refused unless 1 to 16."""
    value = env[name]
    if not value.isdigit() or not 1 <= int(value) <= 16:
        raise ValueError(f"{name} must be a number from 1 to 16, not {value!r}")
    return int(value)


def build(local_env: dict[str, str], model: Path = MODELS) -> Topology:
    """Prepares PostgreSQL's cluster and nginx's config and lists the services to start.

    `local_env` is `ops.environment.local_environment()`, possibly with overrides.
    """
    env = {**SCALED_DEFAULTS, **local_env}
    binaries = servers()
    workers = worker_count(env, "SCALED_RASA_WORKERS")
    action_count = worker_count(env, "SCALED_ACTION_SERVERS")
    data = Path(env["SCALED_DATA"])
    data = data if data.is_absolute() else ROOT / data
    check_reachable(data)
    pg_port, redis_port = int(env["POSTGRES_PORT"]), int(env["REDIS_PORT"])
    password = env["POSTGRES_PASSWORD"]
    postgres.initialise(binaries["initdb"], data / "postgres", password)

    env.update(
        {
            "TRACKER_DB_HOST": "127.0.0.1",
            "TRACKER_DB_PORT": str(pg_port),
            "TRACKER_DB_NAME": "tracker",
            "TRACKER_DB_USER": postgres.SUPERUSER,
            "TRACKER_DB_PASSWORD": password,
            "LOCK_STORE_HOST": "127.0.0.1",
            "LOCK_STORE_PORT": str(redis_port),
            "LOCK_STORE_PASSWORD": env["REDIS_PASSWORD"],
            "ACCOUNT_DATABASE_URL": postgres.url(pg_port, password, "accounts"),
            "CONSOLE_DB_URL": postgres.url(pg_port, password, "console"),
            "CONSOLE_TRACKER_DB_URL": postgres.url(pg_port, password, "tracker"),
        }
    )
    worker_ports = [int(env["RASA_WORKER_PORT"]) + i for i in range(workers)]
    action_ports = [int(env["ACTIONS_WORKER_PORT"]) + i for i in range(action_count)]
    config = nginx.write_config(
        data / "nginx", int(env["RASA_PORT"]), worker_ports, int(env["ACTIONS_PORT"]), action_ports
    )
    worker_names = [f"rasa-{i + 1}" for i in range(workers)]
    database = postgres.service(binaries["postgres"], data / "postgres", pg_port)
    database.on_ready = lambda: postgres.create_databases(pg_port, password, DATABASES)
    services = [
        database,
        redis.service(
            binaries["redis-server"],
            redis.write_config(data / "redis", redis_port, env["REDIS_PASSWORD"]),
            redis_port,
        ),
        account_service(env),
        *[action_server(env, str(p), f"actions-{i + 1}") for i, p in enumerate(action_ports)],
        *[
            rasa_server(env, str(p), name, ENDPOINTS, model)
            for name, p in zip(worker_names, worker_ports, strict=True)
        ],
        nginx.service(binaries["nginx"], data / "nginx", config, int(env["RASA_PORT"])),
        console_server(env),
    ]
    return Topology(services, env, worker_names, worker_ports)

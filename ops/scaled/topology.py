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

from pydantic import Field

from bot.settings import EnvironmentSettings
from ops.environment import ROOT
from ops.processes import Service
from ops.scaled import nginx, postgres, redis
from ops.scaled.debian import servers
from ops.services import MODELS, account_service, action_server, console_server, rasa_server

ENDPOINTS = ROOT / "endpoints-scaled.yml"
DATABASES = ("tracker", "accounts", "console")


class ScaledSettings(EnvironmentSettings):
    """The scaled topology's variables (the module's docstring says what each one does)."""

    rasa_workers: int = Field(2, env="SCALED_RASA_WORKERS", ge=1, le=16)
    action_servers: int = Field(1, env="SCALED_ACTION_SERVERS", ge=1, le=16)
    rasa_worker_port: int = Field(5101, env="RASA_WORKER_PORT", ge=1, le=65535)
    actions_worker_port: int = Field(5151, env="ACTIONS_WORKER_PORT", ge=1, le=65535)
    postgres_port: int = Field(5433, env="POSTGRES_PORT", ge=1, le=65535)
    redis_port: int = Field(6380, env="REDIS_PORT", ge=1, le=65535)
    data: Path = Field(Path("var/scaled"), env="SCALED_DATA")
    ticket_lock_lifetime: int = Field(20, env="TICKET_LOCK_LIFETIME", ge=1)
    rasa_port: int = Field(..., env="RASA_PORT", description="ops.environment gives it", ge=1, le=65535)
    actions_port: int = Field(..., env="ACTIONS_PORT", description="ops.environment gives it", ge=1, le=65535)
    postgres_password: str = Field(..., env="POSTGRES_PASSWORD", description="ops.environment makes one")
    redis_password: str = Field(..., env="REDIS_PASSWORD", description="ops.environment makes one")


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


def build(local_env: dict[str, str], model: Path = MODELS) -> Topology:
    """Prepares PostgreSQL's cluster and nginx's config and lists the services to start.

    `local_env` is `ops.environment.local_environment()`, possibly with overrides.
    """
    settings = ScaledSettings.read(local_env)
    env = {**local_env, ScaledSettings.variable("ticket_lock_lifetime"): str(settings.ticket_lock_lifetime)}
    binaries = servers()
    workers, action_count = settings.rasa_workers, settings.action_servers
    data = settings.data if settings.data.is_absolute() else ROOT / settings.data
    check_reachable(data)
    pg_port, redis_port = settings.postgres_port, settings.redis_port
    password = settings.postgres_password
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
            "LOCK_STORE_PASSWORD": settings.redis_password,
            "ACCOUNT_DATABASE_URL": postgres.url(pg_port, password, "accounts"),
            "CONSOLE_DB_URL": postgres.url(pg_port, password, "console"),
            "CONSOLE_TRACKER_DB_URL": postgres.url(pg_port, password, "tracker"),
        }
    )
    worker_ports = [settings.rasa_worker_port + i for i in range(workers)]
    action_ports = [settings.actions_worker_port + i for i in range(action_count)]
    config = nginx.write_config(
        data / "nginx", settings.rasa_port, worker_ports, settings.actions_port, action_ports
    )
    worker_names = [f"rasa-{i + 1}" for i in range(workers)]
    database = postgres.service(binaries["postgres"], data / "postgres", pg_port)
    database.on_ready = lambda: postgres.create_databases(pg_port, password, DATABASES)
    services = [
        database,
        redis.service(
            binaries["redis-server"],
            redis.write_config(data / "redis", redis_port, settings.redis_password),
            redis_port,
        ),
        account_service(env),
        *[action_server(env, str(p), f"actions-{i + 1}") for i, p in enumerate(action_ports)],
        *[
            rasa_server(env, str(p), name, ENDPOINTS, model)
            for name, p in zip(worker_names, worker_ports, strict=True)
        ],
        nginx.service(binaries["nginx"], data / "nginx", config, settings.rasa_port),
        console_server(env),
    ]
    return Topology(services, env, worker_names, worker_ports)

"""A private PostgreSQL cluster for the scaled topology, in `var/scaled/postgres/`.

Its own data folder and port keep it apart from any PostgreSQL the machine already runs, so
starting and stopping it touches nothing else. PostgreSQL refuses to run as root: when we are
root, the cluster belongs to the `postgres` account that Debian's package creates. Clients use
TCP on loopback with a password (scram-sha-256) generated into `.env`.
"""

import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

import psycopg2
from psycopg2 import sql

from ops.processes import Service
from ops.scaled.debian import hand_over, server_account

SUPERUSER = "assistant"


ACCOUNT = "postgres"


def initialise(initdb: str, data_dir: Path, password: str) -> None:
    """Creates the cluster once (`initdb`), with `assistant` as its password-protected superuser."""
    if (data_dir / "PG_VERSION").exists():
        return
    user = server_account(ACCOUNT)
    data_dir.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o700)
    hand_over(data_dir, user)
    with tempfile.NamedTemporaryFile("w", delete=False, prefix="pwfile") as handle:
        handle.write(password + "\n")
    pwfile = Path(handle.name)
    hand_over(pwfile, user)
    try:
        result = subprocess.run(
            [
                initdb,
                "-D",
                str(data_dir),
                "-U",
                SUPERUSER,
                f"--pwfile={pwfile}",
                "--auth-host=scram-sha-256",
                "--auth-local=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
            user=user,
            group=user,
            extra_groups=[] if user else None,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
    finally:
        pwfile.unlink()
    if result.returncode:
        shutil.rmtree(data_dir, ignore_errors=True)
        raise RuntimeError(f"initdb failed: {result.stdout.strip()[-800:]}")


def service(postgres: str, data_dir: Path, port: int) -> Service:
    """The server on 127.0.0.1:`port`, its socket inside the data folder."""
    return Service(
        "postgres",
        [
            postgres,
            "-D",
            str(data_dir),
            "-p",
            str(port),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"unix_socket_directories={data_dir}",
            "-c",
            "max_connections=200",
            "-c",
            "shared_buffers=128MB",
            "-c",
            "log_min_messages=warning",
            "-c",
            "log_checkpoints=off",
        ],
        f"tcp://127.0.0.1:{port}",
        user=server_account(ACCOUNT),
        stop_signal=signal.SIGINT,
    )


def url(port: int, password: str, database: str) -> str:
    """The SQLAlchemy URL of `database` in the private cluster."""
    return f"postgresql://{SUPERUSER}:{password}@127.0.0.1:{port}/{database}"


def create_databases(port: int, password: str, names: Iterable[str], timeout: float = 30) -> None:
    """Creates each database that does not exist yet, waiting out the server's start-up."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            connection = psycopg2.connect(
                host="127.0.0.1", port=port, user=SUPERUSER, password=password, dbname="postgres"
            )
            break
        except psycopg2.OperationalError as error:
            if "password authentication failed" in str(error):
                raise RuntimeError(
                    "PostgreSQL refused POSTGRES_PASSWORD: the cluster in var/scaled/postgres was "
                    "created with another one (was .env replaced?); restore it, or remove the "
                    "cluster's folder to start afresh"
                ) from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL did not accept connections: {error}") from None
            time.sleep(0.3)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            for name in names:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
                if cursor.fetchone() is None:
                    cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        connection.close()

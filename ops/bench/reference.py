"""The reference: the assistant `rasa init` makes, trained and served with default settings."""

import subprocess
import time
from pathlib import Path

from ops.processes import Service
from ops.services import python


def create_and_train(folder: Path) -> float:
    """`rasa init --no-prompt` into `folder` (it trains the model); returns the training seconds.

    `rasa init` writes the project in well under a second and spends the rest training, so its
    wall time is the reference's training time from scratch.
    """
    folder.mkdir(parents=True, exist_ok=True)  # rasa init refuses a folder that does not exist
    started = time.perf_counter()
    result = subprocess.run(
        [python(), "-m", "rasa", "init", "--no-prompt", "--init-dir", str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seconds = time.perf_counter() - started
    if result.returncode or not any((folder / "models").glob("*.tar.gz")):
        raise RuntimeError(f"rasa init failed: {result.stdout.strip()[-1000:]}")
    return seconds


def server(folder: Path, port: int, token: str) -> Service:
    """One `rasa run` process in `folder`: its model, its credentials.yml (REST), its endpoints.

    The HTTP API is enabled only to measure NLU parse latency the same way as ours.
    """
    return Service(
        "reference",
        [
            python(),
            "-m",
            "rasa",
            "run",
            "--enable-api",
            f"--auth-token={token}",
            "--port",
            str(port),
            "--model",
            "models",
        ],
        f"http://127.0.0.1:{port}/",
        ready_timeout=300.0,
        cwd=str(folder),
    )

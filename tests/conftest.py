"""Fixtures shared by every test folder."""

import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

import support

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "assistant.tar.gz"


@pytest.fixture
def scripted_server() -> Iterator[support.ScriptedServer]:
    """A loopback HTTP server answering as the test says (status, delay, body, headers)."""
    with support.scripted_server() as server:
        yield server


@pytest.fixture(scope="session")
def model() -> Path:
    """The trained assistant; trained now when `make` did not do it first."""
    if not MODEL.exists():
        subprocess.run(
            [sys.executable, "-m", "rasa", "train", "--fixed-model-name", "assistant", "--out", "models"],
            cwd=ROOT, check=True, timeout=1800,
        )
    return MODEL

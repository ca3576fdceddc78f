"""bot.runtime.unused_modules: a worker imports TensorFlow and serves without jax."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

PROBE = """
import sys
from bot.runtime.unused_modules import keep_out
keep_out()
import tensorflow
from tensorflow.lite.python import util
import bot.runtime.server
import rasa.core.run
print(sys.modules["jax"] is None, util._xla_computation is None, "jaxlib" in sys.modules)
"""


def test_tensorflow_and_the_server_import_without_jax() -> None:
    result = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split()[-3:] == ["True", "True", "False"]

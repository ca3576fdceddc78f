"""Where a Rasa worker's CPU goes under load, sampled with py-spy (`make bench PROFILE=1`).

py-spy samples the running process from outside, so the figures are of the real server under
the bench's real load, not of a re-creation. Samples are sorted into the parts of a turn that
the scaling work has to choose between; a sample counts in the first category its stack shows,
from the innermost frame outwards.
"""

import shutil
import signal
import subprocess
from collections import Counter
from pathlib import Path

from ops.environment import ROOT

PY_SPY = ROOT / ".venv-tools" / "bin" / "py-spy"
# (category, substrings of a frame that put a sample in it), innermost match wins
CATEGORIES = (
    ("tracker store (SQL)", ("sqlalchemy", "sql_tracker_store", "psycopg2", "sqlite3")),
    ("lock store", ("lock_store", "redis/")),
    (
        "tracker replay (events applied to a tracker)",
        ("rasa/shared/core/trackers.py", "rasa/shared/core/events.py"),
    ),
    ("NLU (tokenizer, featurizers, intent classifier, language id)", ("rasa/nlu/", "bot/nlu/", "lingua")),
    ("dialogue policies", ("rasa/core/policies/",)),
    ("TensorFlow", ("tensorflow", "keras")),
    ("action server round trip", ("rasa/core/actions/action.py", "aiohttp")),
    ("rest of Rasa's turn (processor, graph, channels)", ("rasa/", "connectors/")),
    ("HTTP server (sanic)", ("sanic/",)),
)
IDLE = ("select", "run_forever", "_run_once", "serve (sanic/server/runners.py")


class Profiler:
    """py-spy recording one process until `stop`."""

    def __init__(self, pid: int, out: Path) -> None:
        self.out = out
        out.parent.mkdir(parents=True, exist_ok=True)
        binary = str(PY_SPY) if PY_SPY.exists() else shutil.which("py-spy")
        if not binary:
            raise RuntimeError("py-spy is not installed (make installs it into .venv-tools)")
        self.process = subprocess.Popen(
            [
                binary,
                "record",
                "--pid",
                str(pid),
                "--format",
                "raw",
                "--rate",
                "100",
                "--nonblocking",
                "--output",
                str(out),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def stop(self) -> dict[str, float]:
        """Ends the recording (py-spy writes its file on SIGINT) and returns the breakdown."""
        self.process.send_signal(signal.SIGINT)
        _, errors = self.process.communicate(timeout=60)
        if not self.out.exists():
            raise RuntimeError(f"py-spy wrote no profile: {errors.strip()[-300:]}")
        return breakdown(self.out)


def _category(stack: str) -> str:
    frames = stack.split(";")
    if any(marker in frames[-1] for marker in IDLE):
        return "idle (event loop waiting)"
    for frame in reversed(frames):
        for name, needles in CATEGORIES:
            if any(n in frame for n in needles):
                return name
    return "other (asyncio, logging, JSON, ...)"


def breakdown(collapsed: Path) -> dict[str, float]:
    """Share of samples (%) per category from py-spy's collapsed stacks ("a;b;c 12" lines)."""
    counts: Counter = Counter()
    for line in collapsed.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, number = line.rpartition(" ")
        if number.isdigit():
            counts[_category(stack)] += int(number)
    total = sum(counts.values()) or 1
    return {name: round(100 * n / total, 1) for name, n in counts.most_common()}

"""Modules a Rasa worker never uses, kept out of its memory.

TensorFlow 2.12 imports jax when it is installed (it is one of TensorFlow's own requirements),
for one feature: converting JAX functions to TensorFlow Lite (`tensorflow/lite/python/util.py`,
inside `try: ... except ImportError`). Rasa never converts anything to TensorFlow Lite, but every
worker paid for the import: 65 MB of resident memory (535 -> 470 MB after importing what the
server imports), a tenth of a worker. A `None` in `sys.modules` is Python's documented way to
make an import raise ImportError, the case TensorFlow handles; it must be in place before
TensorFlow is first imported, so `python -m bot.runtime` calls `keep_out` first of all.
"""

import sys

NEVER_USED = ("jax",)


def keep_out() -> None:
    """Makes `import jax` fail in this process (unless it already happened)."""
    for name in NEVER_USED:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]

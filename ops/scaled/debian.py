"""Finding the Debian servers the scaled topology runs on, installing them when missing.

A fresh machine (or CI) has none of them; the project installs what it needs with its own
commands rather than asking a newcomer to, as long as we are root on Debian. Elsewhere the
error names the packages to install.
"""

import glob
import os
import pwd
import shutil
import subprocess
from pathlib import Path

# binary → Debian package that provides it
PACKAGES = {"postgres": "postgresql", "redis-server": "redis-server", "nginx": "nginx"}


class MissingServer(RuntimeError):
    """A server binary is missing and could not be installed."""


def server_account(name: str) -> str | None:
    """The account a Debian server runs as: its own (`postgres`, `redis`) when we are root,
    since PostgreSQL refuses root and Redis should not have it; else ourselves (None)."""
    return name if os.geteuid() == 0 else None


def hand_over(path: Path, account: str | None) -> None:
    """Makes `account` (when there is one) the owner of `path`, so the server can use it."""
    if account:
        entry = pwd.getpwnam(account)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def _postgres_bin_dir() -> str | None:
    """Debian keeps PostgreSQL's server programs out of PATH, one folder per major version."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/postgres"),
        key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0,
    )
    if found:
        return os.path.dirname(found[-1])
    on_path = shutil.which("postgres")
    return os.path.dirname(on_path) if on_path else None


def _locate(binary: str) -> str | None:
    if binary == "postgres":
        folder = _postgres_bin_dir()
        return os.path.join(folder, "postgres") if folder else None
    return shutil.which(binary) or next(
        (p for p in (f"/usr/sbin/{binary}", f"/usr/bin/{binary}") if os.path.exists(p)), None
    )


def servers() -> dict[str, str]:
    """Paths of postgres, initdb, redis-server and nginx; installs their packages when missing."""
    missing = [b for b in PACKAGES if not _locate(b)]
    if missing:
        _install([PACKAGES[b] for b in missing])
    located = {b: _locate(b) for b in PACKAGES}
    still = [b for b, path in located.items() if not path]
    if still:
        raise MissingServer(
            f"{', '.join(still)} not found after installing {' '.join(PACKAGES[b] for b in still)}"
        )
    found = {b: path for b, path in located.items() if path}
    found["initdb"] = os.path.join(os.path.dirname(found["postgres"]), "initdb")
    return found


def _install(packages: list) -> None:
    names = " ".join(packages)
    if not shutil.which("apt-get"):
        raise MissingServer(f"install {names} (Debian package names) and try again")
    if os.geteuid() != 0:
        raise MissingServer(f"install them first: sudo apt-get install {names}")
    print(f"installing {names} from Debian's packages ...", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for argv in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *packages]):
        result = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if result.returncode:
            raise MissingServer(f"`{' '.join(argv)}` failed: {result.stderr.strip()[-500:]}")

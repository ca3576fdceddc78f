"""ops.processes: a crashed server comes back, and a stop always stops every server.

The servers here are tiny `python -m http.server` processes: what is tested is the supervisor,
started exactly as `make run` starts it (ops.cli.run), through make.
"""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from support import free_port, wait_for

from ops.processes import Service, Supervisor, is_up, signals_held, stop_on_signals

ROOT = Path(__file__).resolve().parents[2]


def server(name: str, port: int) -> Service:
    return Service(
        name,
        [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)],
        f"http://127.0.0.1:{port}/",
        ready_timeout=20,
    )


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_crashed_server_is_restarted_with_a_log_line_while_the_others_go_on(tmp_path: Path) -> None:
    first, second = free_port(), free_port()
    log = (tmp_path / "log").open("w+")
    supervisor = Supervisor([server("one", first), server("two", second)], dict(os.environ), log)
    try:
        supervisor.start()
        old_pid = supervisor.service("one").process.pid
        os.killpg(old_pid, signal.SIGKILL)
        assert wait_for(lambda: not is_up(f"http://127.0.0.1:{first}/"))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (
            supervisor.service("one").process.pid != old_pid and is_up(f"http://127.0.0.1:{first}/")
        ):
            supervisor.restart_exited()
            time.sleep(0.1)
        assert supervisor.service("one").process.pid != old_pid
        assert is_up(f"http://127.0.0.1:{first}/") and is_up(f"http://127.0.0.1:{second}/")
        log.seek(0)
        text = log.read()
        assert "one exited with status -9; restarting it in 1 s" in text
        assert "restarting one" in text
        assert supervisor.service("two").process.poll() is None
    finally:
        supervisor.stop()
    assert all(s.process.poll() is not None for s in supervisor.services)


def test_the_back_off_doubles_up_to_its_limit(tmp_path: Path) -> None:
    crashing = Service("crash", [sys.executable, "-c", "raise SystemExit(3)"], "tcp://127.0.0.1:1")
    supervisor = Supervisor([crashing], dict(os.environ), (tmp_path / "log").open("w"))
    supervisor._spawn(crashing)
    delays: list[float] = []
    try:
        for _ in range(7):
            crashing.process.wait(timeout=10)
            supervisor.restart_exited()
            delays.append(crashing.restart_at - time.monotonic())
            crashing.restart_at = time.monotonic()  # no need to wait it out here
            supervisor.restart_exited()
    finally:
        supervisor.stop()
    assert [round(d) for d in delays] == [1, 2, 4, 8, 16, 30, 30]


LAUNCHER = """
import sys
from ops.cli import run
from ops.processes import Service
ports = sys.argv[1:]
services = [Service(f"s{p}", [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", p],
                    f"http://127.0.0.1:{p}/") for p in ports]
sys.exit(run(services, dict(__import__("os").environ), banner="all servers started"))
"""


def test_only_the_first_signal_interrupts_so_the_stop_cannot_be_cut_short() -> None:
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        stop_on_signals()
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)
        os.kill(os.getpid(), signal.SIGTERM)  # arrives while the caller is stopping: ignored
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.2)
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)


# Runs the installed handler with a second SIGTERM sent at its n-th traced line (in the handler
# or anything it calls), for each n: what make does when it forwards the group's signal while
# the launcher handles the first one.
NESTED_SIGNAL_PROBE = """
import os, signal, sys, time
from ops.processes import stop_on_signals

def run(step):
    stop_on_signals()
    handler = signal.getsignal(signal.SIGTERM)
    top = getattr(handler, "__func__", handler).__code__
    state = {"inside": 0, "lines": 0}

    def local(frame, event, arg):
        if event == "line":
            if state["lines"] == step:
                os.kill(os.getpid(), signal.SIGTERM)
            state["lines"] += 1
        if event == "return" and frame.f_code is top:
            state["inside"] -= 1
        return local

    def tracer(frame, event, arg):
        if frame.f_code is top:
            state["inside"] += 1
        return local if state["inside"] else None

    interrupts = 0
    sys.settrace(tracer)
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.2)
    except KeyboardInterrupt:
        interrupts += 1
    finally:
        sys.settrace(None)
    time.sleep(0.05)
    return interrupts

print([run(step) for step in range(12)], flush=True)
"""


def test_a_second_signal_inside_the_handler_neither_blocks_it_nor_interrupts_twice() -> None:
    """The intermittent make-run hang: make forwarded the group's SIGTERM while the launcher's
    handler was inside `threading.Event.set`, the nested handler waited for the Event's lock held
    by the outer one, and the launcher hung before stopping anything (py-spy showed three nested
    handler frames on the Event's Condition)."""
    probe = subprocess.run(
        [sys.executable, "-c", NESTED_SIGNAL_PROBE],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == str([1] * 12)


def test_the_stop_signal_waits_for_the_end_of_a_held_block() -> None:
    """Raised inside `Popen.poll`, the interrupt could leave Popen's wait lock taken and the stop
    would wait for ever on that child: inside `signals_held` it is raised when the block ends."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    finished = False
    try:
        stop_on_signals()
        with pytest.raises(KeyboardInterrupt):
            with signals_held():
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(0.2)  # the handler has run by now, and raised nothing here
                finished = True
        assert finished
        os.kill(os.getpid(), signal.SIGTERM)  # later signals stay ignored
        time.sleep(0.1)
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)


@pytest.mark.parametrize("gap", [0.0, 0.0005, 0.002, 0.01])
def test_two_sigterms_to_make_s_group_leave_no_server_running(tmp_path: Path, gap: float) -> None:
    ports = [str(free_port()), str(free_port())]
    (tmp_path / "launcher.py").write_text(LAUNCHER)
    (tmp_path / "Makefile").write_text(
        textwrap.dedent(f"""\
        run:
        \t{sys.executable} {tmp_path / "launcher.py"} {" ".join(ports)}
        """)
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    output = (tmp_path / "make.log").open("wb")  # a file: an unread pipe could fill and block it
    make = subprocess.Popen(
        ["make", "-s", "-C", str(tmp_path), "run"],
        env=env,
        cwd=ROOT,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        text=True,
    )
    try:
        assert wait_for(lambda: all(is_up(f"http://127.0.0.1:{p}/") for p in ports), 30)
        # The product is running (the launcher printed its banner), as when an operator stops it.
        log_file = tmp_path / "make.log"
        assert wait_for(lambda: "all servers started" in log_file.read_text(errors="replace"), 30)
        children = subprocess.run(
            ["pgrep", "-f", "http.server --bind 127.0.0.1 " + ports[0]], capture_output=True, text=True
        ).stdout.split()
        os.killpg(make.pid, signal.SIGTERM)
        time.sleep(gap)
        os.killpg(make.pid, signal.SIGTERM)
        make.wait(timeout=30)
        for port in ports:
            url = f"http://127.0.0.1:{port}/"
            assert wait_for(lambda url=url: not is_up(url), 15), port
        assert children and not any(alive(int(pid)) for pid in children)
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
        subprocess.run(["pkill", "-f", f"http.server --bind 127.0.0.1 {ports[0]}"])
        subprocess.run(["pkill", "-f", f"http.server --bind 127.0.0.1 {ports[1]}"])

"""The stages of `make bench` and the table they print.

    python -m ops.bench [--quick] [--cv] [--out results/bench.json]
    python -m ops.bench --only hostile   # that stage alone, on the model in models/

1. Reference: `rasa init` in a temporary folder, trained (timed) and served, one process.
2. Ours as `make run` starts it (trained from scratch, timed), on its own ports and files; then
   the hostile stage: ordinary customers alone, and beside one customer sending 1 MB messages.
3. Ours as `make run-scaled` starts it (2 Rasa workers, PostgreSQL, Redis, nginx), then the
   order check and the faults: a worker killed, PostgreSQL restarted, Redis restarted.
Each setup gets one customer at a time and then 20 at a time; our figures are printed as
ratios to the reference's from the same run.
"""

import argparse
import asyncio
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from ops.bench import faults, reference
from ops.bench.load import LoadResult, play, repeat_until, say_once
from ops.bench.measures import (
    cpu_times,
    hostile_figures,
    long_conversation_figures,
    order_problem,
    peak_rss_mb,
    percentile,
    steal_percent,
    stored_user_texts,
    summarise,
    tree_cpu_seconds,
)
from ops.bench.profile import Profiler
from ops.bench.report import hostile_lines, serialisable, table
from ops.bench.scenarios import OURS, REFERENCE, Conversation, conversations, long_conversation
from ops.environment import ROOT, local_environment
from ops.processes import Supervisor, stop_on_signals
from ops.services import account_service, action_server, console_server, python, rasa_server

PARSE_TEXTS = (
    "I forgot my password",
    "я не помню пароль",
    "je ne reçois pas le mail",
    "hello",
    "yes",
    "my email is someone@example.com",
)
PROFILES = ROOT / "results" / "profiles"
# The hostile customer's message: 1,000,000 characters of ordinary words, just under the
# webhooks' default 1 MiB body limit (the REST channel cuts it at 10,000 characters).
HOSTILE_TEXT = "word " * 200_000
HOSTILE_CUSTOMERS = 10
# The bench's servers listen on ports of their own (5205, 53xx, 54xx, 83xx, 84xx), apart from
# `make run`'s, so that both can run at once.
REFERENCE_PORT = 5205


def progress(message: str) -> None:
    """One line of progress on stderr, so the table on stdout stays clean."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def train_ours(out: Path) -> float:
    """Trains config.yml/domain.yml/data into `out` from scratch (empty cache); returns seconds.

    Timed as the reference's training is: `rasa init` trains through `rasa.train`, which does not
    validate the data first, so neither does this (`--skip-validation`); `validation_seconds`
    times that step on its own."""
    env = dict(os.environ, RASA_CACHE_DIRECTORY=str(out / "cache"))
    started = time.perf_counter()
    result = subprocess.run(
        [
            python(),
            "-m",
            "rasa",
            "train",
            "--force",
            "--skip-validation",
            "--fixed-model-name",
            "assistant",
            "--out",
            str(out / "models"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    if result.returncode:
        raise RuntimeError(f"training failed: {result.stdout.strip()[-1000:]}")
    return time.perf_counter() - started


def validation_seconds() -> float:
    """Seconds `rasa data validate` takes on the project (what `rasa train` runs before training,
    and `make validate` alone)."""
    started = time.perf_counter()
    result = subprocess.run(
        [python(), "-m", "rasa", "data", "validate"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    if result.returncode:
        raise RuntimeError(f"data validation failed: {result.stdout.strip()[-1000:]}")
    return time.perf_counter() - started


def model_mb(folder: Path) -> float:
    """Size of the trained model archive in `folder`, in MB."""
    return round(sum(p.stat().st_size for p in folder.glob("*.tar.gz")) / 1e6, 1)


def parse_latency_ms(rasa_url: str, token: str, rounds: int = 5) -> float:
    """p50 of /model/parse over a few messages in the three languages (NLU alone, no dialogue)."""
    timings = []
    for _ in range(rounds):
        for text in PARSE_TEXTS:
            request = urllib.request.Request(
                f"{rasa_url}/model/parse?token={token}",
                data=json.dumps({"text": text}).encode(),
                headers={"Content-Type": "application/json"},
            )
            started = time.perf_counter()
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
            timings.append((time.perf_counter() - started) * 1000)
    return round(percentile(timings, 50), 1)


def create_accounts(account_url: str, token: str, items: Sequence[Conversation]) -> None:
    """Gives each conversation's address an account, so that its flow really sends an email."""
    for conversation in items:
        request = urllib.request.Request(
            f"{account_url}/v1/accounts",
            data=json.dumps({"email": conversation.email, "password": secrets.token_urlsafe(18)}).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()


def emails_sent(account_url: str, token: str, items: Sequence[Conversation]) -> int:
    """How many of the conversations' addresses received their email (checked in the outbox)."""
    count = 0
    for conversation in items:
        request = urllib.request.Request(
            f"{account_url}/v1/outbox?to={urllib.parse.quote(conversation.email)}",
            headers={"Authorization": f"Bearer {token}"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            count += bool(json.load(response))
    return count


async def load_levels(
    rest_url: str,
    script: Sequence,
    prefix: str,
    quick: bool,
    supervisor: Supervisor,
    prepare: Callable[[list[Conversation]], None] | None = None,
    profile_pid: int | None = None,
) -> dict[str, Any]:
    """Warm-up, then 1 and 20 concurrent customers; returns the figures and the conversations.

    Each level also reports the CPU milliseconds per answered turn that each service used, so
    that the process that limits throughput shows. With `profile_pid`, that process is sampled
    by py-spy during the 20-customer run.
    """
    await play(rest_url, conversations(script, 3, f"{prefix}-warm"), 3)
    levels: dict[str, Any] = {}
    for concurrency, count in ((1, 6 if quick else 12), (20, 20 if quick else 60)):
        items = conversations(script, count, f"{prefix}-c{concurrency}")
        if prepare:
            prepare(items)
        progress(f"{prefix}: {count} conversations, {concurrency} at a time")
        profiler = (
            Profiler(profile_pid, PROFILES / f"{prefix}-{concurrency}.txt")
            if profile_pid and concurrency > 1
            else None
        )
        before, used = cpu_times(), cpu_by_service(supervisor)
        result = await play(rest_url, items, concurrency)
        figures: dict[str, Any] = dict(summarise(result))
        figures["cpu_steal_pct"] = steal_percent(before, cpu_times())
        answered = max(1, figures["turns"] - figures["errors"])
        figures["cpu_ms_per_turn"] = {
            name: round(1000 * (seconds - used[name]) / answered, 1)
            for name, seconds in cpu_by_service(supervisor).items()
            if name in used
        }
        if profiler:
            figures["profile"] = profiler.stop()
        levels[str(concurrency)] = {"figures": figures, "result": result, "items": items}
    levels["long"] = await long_conversation_level(rest_url, script, prefix, supervisor, prepare)
    return levels


def rasa_cpu_seconds(supervisor: Supervisor) -> float:
    """CPU seconds used so far by the Rasa server(s): the reference's or our workers, counted in
    nanoseconds (a turn is about one clock tick of the kernel's usual count)."""
    return sum(
        tree_cpu_seconds(s.process.pid, precise=True)
        for s in supervisor.services
        if (s.name == "reference" or s.name.startswith("rasa")) and s.process and s.process.poll() is None
    )


async def long_conversation_level(
    rest_url: str,
    script: Sequence,
    prefix: str,
    supervisor: Supervisor,
    prepare: Callable[[list[Conversation]], None] | None = None,
) -> dict[str, Any]:
    """One customer's 80-turn conversation, alone: what turns 73-80 cost against turns 1-8."""
    conversation = long_conversation(script, f"{prefix}-long")
    if prepare:
        prepare([conversation])
    progress(f"{prefix}: one conversation of {len(conversation.turns)} turns")
    turns, cpu = [], []
    for text in conversation.turns:
        before = rasa_cpu_seconds(supervisor)
        turns.append(await say_once(rest_url, conversation.sender, text))
        cpu.append(1000 * (rasa_cpu_seconds(supervisor) - before))
    figures = long_conversation_figures([1000 * t.seconds for t in turns], cpu, sum(not t.ok for t in turns))
    return {"figures": figures, "result": LoadResult({conversation.sender: turns}), "items": [conversation]}


def cpu_by_service(supervisor: Supervisor) -> dict[str, float]:
    """CPU seconds used so far by each running service (with the processes it started)."""
    return {
        s.name: tree_cpu_seconds(s.process.pid)
        for s in supervisor.services
        if s.process and s.process.poll() is None
    }


def _pid(supervisor: Supervisor, name: str) -> int | None:
    """The process id of the started service `name`, for the profiler."""
    process = supervisor.service(name).process
    return process.pid if process else None


def memory(supervisor: Supervisor) -> dict[str, float | None]:
    """Peak resident memory (MB) of each service's main process."""
    return {s.name: peak_rss_mb(s.process.pid) for s in supervisor.services if s.process}


def bench_reference(work: Path, quick: bool, log: TextIO, profile: bool) -> dict[str, Any]:
    folder = work / "reference"
    progress("reference: rasa init (trains the vanilla assistant)")
    training = reference.create_and_train(folder)
    token = secrets.token_urlsafe(16)
    supervisor = Supervisor([reference.server(folder, REFERENCE_PORT, token)], dict(os.environ), log)
    try:
        supervisor.start()
        url = f"http://127.0.0.1:{REFERENCE_PORT}"
        pid = _pid(supervisor, "reference") if profile else None
        levels = asyncio.run(
            load_levels(
                f"{url}/webhooks/rest/webhook", REFERENCE, "reference", quick, supervisor, profile_pid=pid
            )
        )
        return {
            "training_s": round(training, 1),
            "parse_p50_ms": parse_latency_ms(url, token),
            "model_mb": model_mb(folder / "models"),
            "levels": levels,
            "memory_mb": memory(supervisor),
        }
    finally:
        supervisor.stop()


def ours_environment(overrides: dict[str, str]) -> dict[str, str]:
    """`make run`'s environment (secrets from .env) with the bench's own ports and files.

    Every address is derived from the bench's ports, whatever the shell or .env says, so that the
    bench never creates accounts in, or sends emails through, a real account API.
    """
    ports = {
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{overrides['ACTIONS_PORT']}/webhook",
        "ACCOUNT_API_URL": f"http://127.0.0.1:{overrides['ACCOUNT_PORT']}",
        "RASA_URL": f"http://127.0.0.1:{overrides['RASA_PORT']}",
        "ACCOUNT_DEV_OUTBOX": "1",
        "REST_CHANNEL_TOKEN": "",
        "RASA_HOST": "127.0.0.1",
    }
    return local_environment({**os.environ, **overrides, **ports})


def ours_endpoints(work: Path) -> Path:
    """endpoints.yml with the SQLite tracker moved into the bench's folder (the rest unchanged)."""
    text = (ROOT / "endpoints.yml").read_text(encoding="utf-8")
    moved = text.replace('db: "var/tracker.db"', f'db: "{work / "tracker.db"}"')
    if moved == text:
        raise RuntimeError("endpoints.yml no longer names var/tracker.db; update ops.bench.run")
    path = work / "endpoints.yml"
    path.write_text(moved)
    return path


async def measure_ours(
    env: dict[str, str], quick: bool, prefix: str, supervisor: Supervisor, profile_pid: int | None = None
) -> dict[str, Any]:
    """Load levels over our REST channel, each conversation's address given an account first."""
    rest = f"http://127.0.0.1:{env['RASA_PORT']}/webhooks/rest/webhook"
    account_url, token = env["ACCOUNT_API_URL"], env["ACCOUNT_API_TOKEN"]
    levels = await load_levels(
        rest,
        OURS,
        prefix,
        quick,
        supervisor,
        prepare=lambda items: create_accounts(account_url, token, items),
        profile_pid=profile_pid,
    )
    for level in levels.values():
        level["figures"]["emails"] = emails_sent(account_url, token, level["items"])
    return levels


async def measure_hostile(env: dict[str, str], quick: bool, prefix: str) -> dict[str, Any]:
    """Ordinary customers alone, then the same number beside one customer who sends a 1 MB
    message, waits for the answer and sends another, for as long as the others talk."""
    rest = f"http://127.0.0.1:{env['RASA_PORT']}/webhooks/rest/webhook"
    account_url, token = env["ACCOUNT_API_URL"], env["ACCOUNT_API_TOKEN"]
    count = 20 if quick else 40
    alone = conversations(OURS, count, f"{prefix}-alone")
    beside = conversations(OURS, count, f"{prefix}-beside")
    create_accounts(account_url, token, [*alone, *beside])
    await play(rest, conversations(OURS, 3, f"{prefix}-warm"), 3)
    progress(f"{prefix}: {count} conversations, {HOSTILE_CUSTOMERS} at a time, alone")
    quiet = await play(rest, alone, HOSTILE_CUSTOMERS)
    progress(f"{prefix}: the same beside one customer sending 1 MB messages")
    done = asyncio.Event()
    hostile = asyncio.create_task(repeat_until(rest, f"{prefix}-huge", HOSTILE_TEXT, done))
    loud = await play(rest, beside, HOSTILE_CUSTOMERS)
    done.set()
    figures = hostile_figures(quiet, loud, await hostile)
    figures["customers"] = HOSTILE_CUSTOMERS
    return figures


def start_run(folder: Path, model: Path, log: TextIO) -> tuple[dict[str, str], Supervisor]:
    """Ours as `make run` starts it, on the bench's ports and with its files in `folder`."""
    folder.mkdir()
    env = ours_environment(
        {
            "RASA_PORT": "5305",
            "ACTIONS_PORT": "5355",
            "ACCOUNT_PORT": "8301",
            "CONSOLE_PORT": "8302",
            "ACCOUNT_DATABASE_URL": f"sqlite:///{folder / 'accounts.db'}",
            "CONSOLE_DB_URL": f"sqlite:///{folder / 'console.db'}",
            "CONSOLE_TRACKER_DB_URL": f"sqlite:///{folder / 'tracker.db'}",
        }
    )
    services = [
        account_service(env),
        action_server(env),
        rasa_server(env, endpoints=ours_endpoints(folder), model=model),
        console_server(env),
    ]
    return env, Supervisor(services, env, log)


def bench_run(work: Path, model: Path, quick: bool, log: TextIO, profile: bool) -> dict[str, Any]:
    """Ours as `make run` starts it: one Rasa process on SQLite, actions, accounts, console;
    the load levels, then (its memory taken first) the hostile stage."""
    env, supervisor = start_run(work / "run", model, log)
    try:
        supervisor.start()
        pid = _pid(supervisor, "rasa") if profile else None
        levels = asyncio.run(measure_ours(env, quick, "run", supervisor, pid))
        figures = {
            "parse_p50_ms": parse_latency_ms(env["RASA_URL"], env["RASA_AUTH_TOKEN"]),
            "levels": levels,
            "memory_mb": memory(supervisor),
        }
        figures["hostile"] = asyncio.run(measure_hostile(env, quick, "hostile"))
        return figures
    finally:
        supervisor.stop()


def bench_hostile_only(work: Path, quick: bool, log: TextIO) -> dict[str, Any]:
    """The hostile stage alone, on `make run`'s trained model (models/), not a fresh training."""
    env, supervisor = start_run(work / "run", ROOT / "models", log)
    try:
        supervisor.start()
        return asyncio.run(measure_hostile(env, quick, "hostile"))
    finally:
        supervisor.stop()


def check_order(rasa_url: str, token: str, results: Sequence[LoadResult]) -> dict[str, Any]:
    """Every conversation's stored user messages against what was sent, in order."""
    checked, problems = 0, []
    for result in results:
        for sender, turns in result.turns.items():
            problem = order_problem(turns, stored_user_texts(rasa_url, token, sender))
            checked += 1
            if problem:
                problems.append(f"{sender}: {problem}")
    return {"conversations": checked, "problems": problems}


def bench_scaled(work: Path, model: Path, quick: bool, log: TextIO, profile: bool) -> dict[str, Any]:
    """Ours as `make run-scaled` starts it, then the order check and the faults."""
    from ops.scaled.topology import build

    env = ours_environment(
        {
            "RASA_PORT": "5405",
            "ACTIONS_PORT": "5455",
            "RASA_WORKER_PORT": "5411",
            "ACTIONS_WORKER_PORT": "5461",
            "ACCOUNT_PORT": "8401",
            "CONSOLE_PORT": "8402",
            "POSTGRES_PORT": "5443",
            "REDIS_PORT": "6390",
            "SCALED_DATA": str(work / "scaled"),
        }
    )
    topology = build(env, model)
    supervisor = Supervisor(topology.services, topology.env, log)
    env = topology.env
    try:
        progress(
            f"scaled: starting PostgreSQL, Redis, accounts, actions, "
            f"{len(topology.workers)} Rasa workers, nginx"
        )
        supervisor.start()
        pid = _pid(supervisor, topology.workers[0]) if profile else None
        levels = asyncio.run(measure_ours(env, quick, "scaled", supervisor, pid))
        progress("scaled: checking every stored transcript against what was sent")
        order = check_order(
            env["RASA_URL"], env["RASA_AUTH_TOKEN"], [level["result"] for level in levels.values()]
        )
        figures = {
            "parse_p50_ms": parse_latency_ms(env["RASA_URL"], env["RASA_AUTH_TOKEN"]),
            "levels": levels,
            "order": order,
            "workers": len(topology.workers),
        }
        figures["memory_mb"] = memory(supervisor)  # before the faults restart anything
        figures["faults"] = faults.run_all(supervisor, topology, progress, check_order)
        return figures
    finally:
        supervisor.stop()


def heldout(model: Path, work: Path) -> dict[str, dict[str, float]]:
    """The hard held-out set (tests/data/heldout) scored with the model this run trained and
    served: intent and language-slot accuracy per language, printed beside the cost so that no
    saving can quietly lower it."""
    progress("scoring the held-out set with the model just served")
    out = work / "heldout"
    archive = next(model.glob("*.tar.gz")) if model.is_dir() else model
    subprocess.run(
        [python(), "-m", "ops.evaluation", "--heldout", str(ROOT / "tests" / "data" / "heldout"),
         "--model", str(archive), "--out", str(out)],
        cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    figures = json.loads((out / "heldout.json").read_text(encoding="utf-8"))["figures"]
    return {lang: {"intent": f["intent"], "language": f["language"]} for lang, f in figures.items()}


def understanding(cv: bool) -> dict[str, Any]:
    """Cross-validated accuracy per language: `make evaluate`'s last summary, or a new run."""
    summary_path = ROOT / "results" / "nlu" / "summary.json"
    if cv:
        progress("cross-validating the NLU per language (about 10 minutes)")
        subprocess.run(
            [python(), "-m", "ops.evaluation", "--out", str(summary_path.parent)], cwd=ROOT, check=True
        )
    if not summary_path.exists():
        return {"source": "not measured: run `make evaluate` (or `make bench CV=1`)"}
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    stamp = time.strftime("%Y-%m-%d", time.localtime(summary_path.stat().st_mtime))
    return {
        "source": f"results/nlu/summary.json of {stamp}",
        "accuracy": {lang: v["accuracy"] for lang, v in summary["languages"].items()},
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer conversations (a smoke run)")
    parser.add_argument(
        "--cv", action="store_true", help="also run the per-language cross-validation (about 10 minutes)"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample each setup's Rasa process with py-spy during the 20-customer run",
    )
    parser.add_argument(
        "--only",
        choices=["hostile"],
        help="run one stage alone on the trained model in models/ and update its figures in --out",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "bench.json")
    args = parser.parse_args(argv)
    stop_on_signals()
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    work.chmod(0o711)  # PostgreSQL's and Redis's accounts must reach their files inside it
    log_path = args.out.parent / "bench.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with log_path.open("w", encoding="utf-8") as log:
            progress(f"servers' output goes to {log_path}")
            report: dict[str, Any]
            if args.only == "hostile":
                report = earlier_report(args.out)
                report.setdefault("run", {})["hostile"] = {
                    **bench_hostile_only(work, args.quick, log),
                    "date": time.strftime("%Y-%m-%d %H:%M"),
                }
                return finish(report, "\n".join(hostile_lines(report["run"]["hostile"])), args.out)
            report = {"date": time.strftime("%Y-%m-%d %H:%M"), "cpus": os.cpu_count()}
            report["reference"] = bench_reference(work, args.quick, log, args.profile)
            progress("ours: training from scratch")
            report["training_s"] = round(train_ours(work / "ours"), 1)
            report["validation_s"] = round(validation_seconds(), 1)
            model = work / "ours" / "models"
            report["model_mb"] = model_mb(model)
            report["run"] = bench_run(work, model, args.quick, log, args.profile)
            report["scaled"] = bench_scaled(work, model, args.quick, log, args.profile)
            report["understanding"] = understanding(args.cv)
            report["understanding"]["heldout"] = heldout(model, work)
    except KeyboardInterrupt:
        progress("interrupted; every server the bench started has been stopped")
        return 130
    except (RuntimeError, OSError) as error:
        print(f"error: {error} (servers' output in {log_path})", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report = serialisable(report)
    return finish(report, table(report), args.out)


def earlier_report(path: Path) -> dict[str, Any]:
    """The report a full run wrote to `path`, for a single stage to update (empty without one)."""
    if not path.exists():
        return {"cpus": os.cpu_count()}
    return json.loads(path.read_text(encoding="utf-8"))


def finish(report: dict[str, Any], printed: str, out: Path) -> int:
    """Prints the table, writes the report to `out`."""
    print(printed)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    progress(f"written to {out}")
    return 0

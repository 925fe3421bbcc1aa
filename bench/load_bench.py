"""Load benchmark of the write path (issue 12): Instap's intake against a bare Flask + SQLAlchemy
app, under the same gunicorn settings, on the same PostgreSQL, in the same run.

    python -m bench.load_bench [--seconds 20] [--clients 16] [--turns 4] [--rates 100]
                               [--rows 20000] [--out docs/benchmarks.md]

One throw-away PostgreSQL and Redis. Every app runs for the whole bench under
`deploy/gunicorn.conf.py` (production settings: INSTAP_ENV=production, bearer token, JSON access
log, Prometheus multiprocess directory; the intake worker relays the events meanwhile, as in
production); the load goes to one app at a time. For each app and each endpoint (create one
resident; list a caseload page of 25 of `--rows`):
- closed loop: `--clients` clients, each sending its next request when the last is answered;
  for the create, the apps take turns in `--turns` slices of `--seconds / --turns` each (bare,
  the writes' targets, Instap, bare, ...), so a machine whose speed drifts (a shared host: a
  fifth within minutes) slows every app alike and the ratio between them stays fair;
- fixed rate: requests sent on a schedule (`--rates` per second) whatever the answers do; the
  latency counts from the scheduled moment, so a stalled server is not hidden (no coordinated
  omission).
Two more targets between them, create in the closed loop only: `bare+writes` is the bare app
writing what an Instap create writes (its history, audit and outbox rows, as plain INSERTs in one
transaction), `bare+writes, 1 statement` the same rows in one statement (bench/bare_app.py): how
much of the gap between the two apps is the writes themselves; `bare+writes, 1 statement,
Instap's validation` the last after Instap's own request schema (marshmallow and the BSN rule):
what the validation the stack asks for costs on its own.
Reported: throughput, p50/p95/p99 latency, errors (any answer but 2xx, or no answer), and the CPU
per request of the gunicorn processes, of the service's worker (relaying the events) and of
PostgreSQL. Timings depend on the machine and what
else runs on it: the 1-minute load average is written next to the numbers.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text

from bench.bare_app import BareResident, create_schema
from services.intake.models import Resident
from shared.auth.accounts import add_user, create_token, get_or_create_organisation
from shared.auth.hashing import hashing_for
from shared.cli import migrate_all
from shared.config import load_settings
from shared.db import Database, utcnow
from shared.localservers import free_port, start_postgres, start_redis
from shared.testdata import RESIDENT

START, END = "<!-- load-bench:start -->", "<!-- load-bench:end -->"
ROOT = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")
# The bare app's create making Instap's writes too (bench/bare_app.py): target name -> path suffix.
WRITES = {
    "bare+writes": "/written",
    "bare+writes, 1 statement": "/one-statement",
    "bare+writes, 1 statement, Instap's validation": "/validated",
}


@dataclass
class Target:
    name: str
    port: int
    create_path: str
    list_path: str
    headers: dict[str, str]
    body: bytes
    pids: list[int] = field(default_factory=list)  # gunicorn
    worker_pids: list[int] = field(default_factory=list)  # the service's worker (relay)


@dataclass
class Result:
    app: str
    endpoint: str
    mode: str
    requests: int
    errors: int
    seconds: float
    latencies: list[float]
    app_cpu: float
    worker_cpu: float
    db_cpu: float

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

    @property
    def throughput(self) -> float:
        return (self.requests - self.errors) / self.seconds


def _request(target: Target, method: str, path: str) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", target.port, timeout=30)
    try:
        body = target.body if method == "POST" else None
        conn.request(method, path, body=body, headers=target.headers)
        response = conn.getresponse()
        response.read()
        return 200 <= response.status < 300
    except OSError:
        return False
    finally:
        conn.close()


def _cpu_seconds(pids: list[int]) -> float:
    """CPU of these processes and of the children they have reaped (gunicorn's recycled workers)."""
    total = 0
    for pid in pids:
        for task in _tree(pid):
            try:
                fields = Path(f"/proc/{task}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
    return total / CLK_TCK


def _tree(pid: int) -> list[int]:
    """A process and its live descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def closed_loop(
    target: Target, method: str, path: str, clients: int, seconds: float
) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def client() -> None:
        nonlocal errors
        while time.perf_counter() < stop_at:
            t0 = time.perf_counter()
            ok = _request(target, method, path)
            elapsed = time.perf_counter() - t0
            with lock:
                latencies.append(elapsed)
                errors += not ok

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors


def fixed_rate(
    target: Target, method: str, path: str, rate: float, seconds: float
) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    todo: queue.Queue[float | None] = queue.Queue()
    senders = 64

    def sender() -> None:
        nonlocal errors
        while (scheduled := todo.get()) is not None:
            ok = _request(target, method, path)
            elapsed = time.perf_counter() - scheduled  # from the scheduled moment
            with lock:
                latencies.append(elapsed)
                errors += not ok

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    for t in threads:
        t.start()
    start = time.perf_counter()
    for i in range(int(rate * seconds)):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        todo.put(due)
    for _ in threads:
        todo.put(None)
    for t in threads:
        t.join()
    return latencies, errors


def _wait_http(port: int, path: str, timeout: float = 300) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"nothing answers on port {port}{path}")


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def seed_accounts(settings: Any, pg_url: str) -> tuple[int, int, str]:
    """A coach and a bearer token of the coach's organisation: (coach id, organisation id, token)."""
    accounts = Database(pg_url, "accounts")
    with accounts.unit_of_work() as s:
        org = get_or_create_organisation(s, "Sociale Dienst Drechtsteden", "gemeente")
        coach = add_user(
            s,
            email="coach@bench.instap.nl",
            name="Bench Coach",
            password=secrets.token_urlsafe(24),
            role="jobcoach",
            organisation=org,
            hashing=hashing_for(settings),
        )
        coach_id, org_id = coach.id, org.id
        token = create_token(s, name="load bench", role="jobcoach", organisation=org)
    accounts.dispose()
    return coach_id, org_id, token


def _seed(settings: Any, pg_url: str, rows: int) -> tuple[int, str]:
    """A coach, a token of the coach's organisation, and `rows` residents in both apps' tables."""
    coach_id, org_id, token = seed_accounts(settings, pg_url)
    now = utcnow()
    names = ["de Vries", "Jansen", "Bakker", "Yılmaz", "El Amrani", "Visser", "Smit", "Meijer"]
    common = {k: v for k, v in RESIDENT.items() if k in {c.name for c in BareResident.__table__.columns}}
    common.pop("last_name")
    rows_data = [
        {
            **common,
            "programme_id": f"DW-B{i:07d}",
            "last_name": f"{names[i % len(names)]} {i}",
            "coach_id": coach_id,
            "organisation_id": org_id,
            "created_at": now,
        }
        for i in range(rows)
    ]
    intake = Database(pg_url, "intake")
    with intake.unit_of_work() as s:
        extra = {"stage": "aangemeld", "pc4": "3317", "updated_at": now, "event_seq": 0}
        for start in range(0, rows, 5000):
            s.execute(insert(Resident), [{**r, **extra} for r in rows_data[start : start + 5000]])
    intake.dispose()
    bare = Database(pg_url, "bare")
    with bare.unit_of_work() as s:
        for start in range(0, rows, 5000):
            s.execute(insert(BareResident), rows_data[start : start + 5000])
    bare.dispose()
    return coach_id, token


def _postgres_pids(pg_url: str) -> list[int]:
    """The postmaster's pid (its children are the backends), from its data directory."""
    engine = create_engine(pg_url)
    with engine.connect() as conn:
        data_dir = conn.scalar(text("SHOW data_directory"))
    engine.dispose()
    try:
        return [int(Path(str(data_dir), "postmaster.pid").read_text().split()[0])]
    except OSError:
        return []


def _measure_one(
    target: Target,
    endpoint: str,
    method: str,
    path: str,
    mode: str,
    rate: float | None,
    args: argparse.Namespace,
    pg_pids: list[int],
    seconds: float | None = None,
) -> Result:
    """One load run against one target: closed loop (`rate` None) or a fixed rate."""
    seconds = args.seconds if seconds is None else seconds
    cpu0, db0 = _cpu_seconds(target.pids), _cpu_seconds(pg_pids)
    w0, t0 = _cpu_seconds(target.worker_pids), time.perf_counter()
    if rate is None:
        lat, err = closed_loop(target, method, path, args.clients, seconds)
    else:
        lat, err = fixed_rate(target, method, path, rate, seconds)
    return Result(
        target.name,
        endpoint,
        mode,
        len(lat),
        err,
        time.perf_counter() - t0,
        lat,
        _cpu_seconds(target.pids) - cpu0,
        _cpu_seconds(target.worker_pids) - w0,
        _cpu_seconds(pg_pids) - db0,
    )


def _take_turns(
    targets: list[Target], args: argparse.Namespace, pg_pids: list[int], mode: str
) -> list[Result]:
    """The create's closed loop, `--seconds` per target, in `--turns` slices taken in turn (bare,
    the writes' targets, Instap, bare, ...): on a shared machine whose speed drifts by a fifth
    within minutes, every target meets the same drift, so their ratio does not depend on which
    one happened to run in a slow minute. One result per target, its slices added up."""
    totals: dict[str, Result] = {}
    for _ in range(args.turns):
        for target in targets:
            part = _measure_one(
                target,
                "create",
                "POST",
                target.create_path,
                mode,
                None,
                args,
                pg_pids,
                args.seconds / args.turns,
            )
            total = totals.setdefault(
                target.name, Result(target.name, "create", mode, 0, 0, 0.0, [], 0.0, 0.0, 0.0)
            )
            total.requests += part.requests
            total.errors += part.errors
            total.seconds += part.seconds
            total.latencies += part.latencies
            total.app_cpu += part.app_cpu
            total.worker_cpu += part.worker_cpu
            total.db_cpu += part.db_cpu
    for total in totals.values():
        print(row(total), flush=True)
    return list(totals.values())


def measure(args: argparse.Namespace, workdir: Path) -> tuple[list[Result], dict[str, Any]]:
    # Before the bench's own start (PostgreSQL, migrations, seeding): what else the machine does.
    meta: dict[str, Any] = {"load_before": os.getloadavg()[0]}
    pg = start_postgres(workdir / "pg")
    redis_server = start_redis(workdir / "redis")
    try:
        urls = {f"{c}_database_url": pg.url for c in ("accounts", "intake", "matching", "rapportage")}
        settings = load_settings(
            env="test",
            data_dir=workdir / "var",
            redis_url=redis_server.url,
            secret_key="bench-" + "x" * 40,
            password_hashing="fast",
            **urls,
        )
        migrate_all(settings)
        create_schema(pg.url)
        coach_id, token = _seed(settings, pg.url, args.rows)
        # As a database that has been running a while: statistics and visibility map up to date
        # (autovacuum's work), so index-only scans are possible for both apps.
        engine = create_engine(pg.url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("VACUUM ANALYZE"))
        engine.dispose()
        pg_pids = _postgres_pids(pg.url)
        env = dict(
            os.environ,
            INSTAP_ENV="production",
            INSTAP_SECRET_KEY="bench-only-" + "k" * 48,
            INSTAP_COOKIE_SECURE="true",
            INSTAP_DATA_DIR=str(workdir / "var"),
            INSTAP_LOG_LEVEL="INFO",
            REDIS_URL=redis_server.url,
            BARE_DATABASE_URL=pg.url,
            GUNICORN_WORKERS=str(args.workers) if args.workers else "",
            **{f"{c.upper()}_DATABASE_URL": pg.url for c in ("accounts", "intake", "matching", "rapportage")},
        )
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        results: list[Result] = []
        processes: list[subprocess.Popen[bytes]] = []
        targets: list[Target] = []
        try:
            # Every app runs for the whole bench (an idle one costs nothing worth counting), so
            # the closed loop can take turns between them: see `_take_turns`.
            for name in ("bare", *WRITES, "instap"):
                port = free_port()
                app_env = dict(
                    env,
                    GUNICORN_BIND=f"127.0.0.1:{port}",
                    PROMETHEUS_MULTIPROC_DIR=str(workdir / f"prom-{name}"),
                )
                module = "services.intake.wsgi:app" if name == "instap" else "bench.bare_app:app"
                started = [_start([gunicorn, "-c", str(ROOT / "deploy/gunicorn.conf.py"), module], app_env)]
                if name == "instap":
                    started.append(_start([sys.executable, "-m", "shared.cli", "worker", "intake"], app_env))
                processes += started
                prefix = "/intake/api/v1" if name == "instap" else "/bare"
                targets.append(
                    Target(
                        name,
                        port,
                        f"{prefix}/residents" + WRITES.get(name, ""),
                        f"{prefix}/residents",
                        {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
                        json.dumps({**RESIDENT, "coach_id": coach_id}).encode(),
                        [started[0].pid],
                        [p.pid for p in started[1:]],
                    )
                )
            for target in targets:
                _wait_http(target.port, "/intake/healthz" if target.name == "instap" else "/bare/residents")
                closed_loop(target, "POST", target.create_path, args.clients, 3)  # warm up
                if target.name not in WRITES:
                    closed_loop(target, "GET", target.list_path, args.clients, 2)
            mode = f"closed, {args.clients} clients"
            apps = [target for target in targets if target.name not in WRITES]
            # The lists first, while each app's table holds the seeded rows (the creates below add
            # tens of thousands, to the bare table four targets' worth).
            for target in apps:
                for run_mode, rate in [(mode, None), *((f"{r:g} req/s", r) for r in args.rates)]:
                    result = _measure_one(
                        target, "list", "GET", target.list_path, run_mode, rate, args, pg_pids
                    )
                    results.append(result)
                    print(row(result), flush=True)
            results += _take_turns(targets, args, pg_pids, mode)
            for target in apps:  # the writes' targets: create, closed loop only
                for rate in args.rates:
                    result = _measure_one(
                        target, "create", "POST", target.create_path, f"{rate:g} req/s", rate, args, pg_pids
                    )
                    results.append(result)
                    print(row(result), flush=True)
        finally:
            for process in processes:
                _stop(process)
        order = [target.name for target in targets]
        results.sort(key=lambda r: (order.index(r.app), r.endpoint != "create"))  # stable otherwise
        meta["load_after"] = os.getloadavg()[0]
        return results, meta
    finally:
        redis_server.stop()
        pg.stop()


def row(r: Result) -> str:
    per = max(1, r.requests)
    return (
        f"| {r.app} | {r.endpoint} | {r.mode} | {r.throughput:.0f}/s | {r.pct(50):.0f} | {r.pct(95):.0f} | "
        f"{r.pct(99):.0f} | {r.errors} | {r.app_cpu / per * 1000:.1f} | {r.worker_cpu / per * 1000:.1f} | "
        f"{r.db_cpu / per * 1000:.1f} |"
    )


def report(results: list[Result], meta: dict[str, Any], args: argparse.Namespace) -> str:
    header = (
        "| app | endpoint | load | throughput | p50 ms | p95 ms | p99 ms | errors | web CPU ms/req | "
        "worker CPU ms/req | PostgreSQL CPU ms/req |\n|---|---|---|---|---|---|---|---|---|---|---|"
    )
    lines = [header, *(row(r) for r in results)]
    by = {(r.app, r.endpoint, r.mode): r for r in results}
    closed = f"closed, {args.clients} clients"
    verdicts = []
    for endpoint in ("create", "list"):
        bare, instap = by.get(("bare", endpoint, closed)), by.get(("instap", endpoint, closed))
        if bare and instap and bare.throughput:
            ratio = instap.throughput / bare.throughput
            verdicts.append(
                f"- {endpoint}: Instap served **{ratio:.0%}** of the bare app's throughput (closed loop)."
            )
    bare = by.get(("bare", "create", closed))
    for name, how in (
        ("bare+writes", "as plain INSERTs, no checks"),
        ("bare+writes, 1 statement", "in one statement, no checks"),
        ("bare+writes, 1 statement, Instap's validation", "in one statement, after Instap's request schema"),
    ):
        written = by.get((name, "create", closed))
        if bare and written and bare.throughput:
            verdicts.append(
                f"- the bare app writing what an Instap create writes ({name}: resident, history, audit "
                f"and outbox rows {how}) served **{written.throughput / bare.throughput:.0%}** "
                "of the bare app's throughput."
            )
    for rate in args.rates:
        r = by.get(("instap", "create", f"{rate:g} req/s"))
        if r:
            verdicts.append(
                f"- create at {rate:g} req/s: p99 **{r.pct(99):.0f} ms**, {r.errors} errors, "
                f"{r.throughput:.0f}/s served (target at 100 req/s: p99 < 100 ms, no errors)."
            )
    rates = " ".join(f"{rate:g}" for rate in args.rates)
    return (
        "## Write path under load: Instap against a bare Flask + SQLAlchemy app\n\n"
        f"`python -m bench.load_bench --seconds {args.seconds:g} --turns {args.turns} --rates {rates}` "
        f"on {os.cpu_count()} cores, "
        f"{date.today():%Y-%m-%d}. All apps under `deploy/gunicorn.conf.py` (same workers, "
        f"sync), all running throughout, the create's closed loop taken in turns ({args.turns} "
        "slices per app, added up), one PostgreSQL, bearer token, `INSTAP_ENV=production`; "
        "Instap with its intake worker relaying events. The load generator runs on the same "
        "machine. 1-minute load "
        f"average before: {meta['load_before']:.1f}, after: {meta['load_after']:.1f} ("
        + (
            "the machine was quiet before the run; the figure after is the bench's own load"
            if meta["load_before"] < 1.5
            else "other work on the machine shared its 2 cores: the numbers are lower and noisier "
            "than on a quiet host"
        )
        + "). Target: create at least 70 % of the bare app's throughput; p99 under "
        "100 ms at 100 req/s with no errors.\n\n" + "\n".join(verdicts) + "\n\n" + "\n".join(lines)
    )


def write(out: Path, text: str) -> None:
    body = out.read_text() if out.exists() else "# Benchmarks\n"
    block = f"{START}\n{text}\n{END}"
    if START in body:
        body = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, body, flags=re.S)
    else:
        body = body.rstrip() + "\n\n" + block + "\n"
    out.write_text(body)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load_bench")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument(
        "--turns", type=int, default=4, help="slices of the create's closed loop, taken in turn by the apps"
    )
    parser.add_argument("--rates", type=float, nargs="*", default=[100])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=0, help="GUNICORN_WORKERS (default: the config's)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="instap-load-") as tmp:
        results, meta = measure(args, Path(tmp))
    text = report(results, meta, args)
    print(text)
    if args.out:
        write(args.out, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

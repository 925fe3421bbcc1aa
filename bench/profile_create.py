"""Where one intake create spends its CPU: a profile of the web side and of the worker's relay.

    python -m bench.profile_create [--creates 500] [--top 40] [--sort tottime] [--no-profile]

One throw-away PostgreSQL and Redis, production settings (INSTAP_ENV=production, bearer token,
JSON logs at INFO, a Prometheus multiprocess directory), the intake app driven in-process through
Flask's test client (no gunicorn, no HTTP: what is left is the app's own work). First `--creates`
creates are timed (CPU per create, process time) and profiled with cProfile on CPU time (waits on
the database do not count); then the outbox rows they wrote are relayed to Redis by the worker's
relay (`shared.outbox.relay_pending`) in one go, and then again one event per round (the worker's
worst case: an idle service woken for each create), timed and profiled the same way. A warm-up
of 50 creates runs before anything is measured (caches, compiled statements, connection pool).

The CPU per create here is lower than under gunicorn (no HTTP parsing, no access log) but the
split is the same: use it to find what to make cheaper, and `bench.load_bench` to measure.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import os
import pstats
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import redis

from shared.localservers import start_postgres, start_redis
from shared.testdata import resident_payload


def _settings_env(workdir: Path, pg_url: str, redis_url: str) -> dict[str, str]:
    return {
        "INSTAP_ENV": "production",
        "INSTAP_SECRET_KEY": "bench-only-" + "k" * 48,
        "INSTAP_COOKIE_SECURE": "true",
        "INSTAP_DATA_DIR": str(workdir / "var"),
        "INSTAP_LOG_LEVEL": "INFO",
        "PROMETHEUS_MULTIPROC_DIR": str(workdir / "prom"),
        "REDIS_URL": redis_url,
        **{f"{c.upper()}_DATABASE_URL": pg_url for c in ("accounts", "intake", "matching", "rapportage")},
    }


def _report(profile: cProfile.Profile, sort: str, top: int) -> None:
    stats = pstats.Stats(profile, stream=sys.stdout)
    stats.strip_dirs().sort_stats(sort).print_stats(top)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_create")
    parser.add_argument("--creates", type=int, default=500)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="tottime", help="pstats sort key: tottime, cumulative, ...")
    parser.add_argument("--no-profile", action="store_true", help="time only (no profiler overhead)")
    args = parser.parse_args(argv)

    with production_services("instap-profile-") as (workdir, pg_url, redis_url):
        run(args, workdir, pg_url, redis_url)
    return 0


@contextlib.contextmanager
def production_services(prefix: str) -> Iterator[tuple[Path, str, str]]:
    """A throw-away PostgreSQL and Redis, and this process's environment set to production
    settings using them: (work directory, PostgreSQL URL, Redis URL)."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        workdir = Path(tmp)
        pg = start_postgres(workdir / "pg")
        redis_server = start_redis(workdir / "redis")
        try:
            os.environ.update(_settings_env(workdir, pg.url, redis_server.url))
            (workdir / "prom").mkdir()
            yield workdir, pg.url, redis_server.url
        finally:
            redis_server.stop()
            pg.stop()


def run(args: argparse.Namespace, workdir: Path, pg_url: str, redis_url: str) -> None:
    # Imported after the environment is set: settings and logging read it.
    from bench.load_bench import seed_accounts
    from services.intake.app import create_app
    from services.intake.models import OutboxEvent
    from shared.cli import migrate_all
    from shared.config import load_settings
    from shared.outbox import relay_pending

    settings = load_settings()
    migrate_all(settings)
    coach_id, _org, token = seed_accounts(load_settings(env="test", password_hashing="fast"), pg_url)
    app = create_app(settings)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    body = json.dumps(resident_payload(coach_id=coach_id)).encode()

    def create() -> None:
        response = client.post("/intake/api/v1/residents", data=body, headers=headers)
        assert response.status_code == 201, response.get_data(as_text=True)

    ctx = app.extensions["instap"]
    conn = redis.Redis.from_url(redis_url)

    def relay_all() -> int:
        total = 0
        while (n := relay_pending(ctx.db, OutboxEvent, conn, "intake")) > 0:
            total += n
        return total

    for _ in range(50):
        create()
    relay_all()

    profile = cProfile.Profile(time.process_time)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if not args.no_profile:
        profile.enable()
    for _ in range(args.creates):
        create()
    profile.disable()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    print(
        f"web: {args.creates} creates, {cpu / args.creates * 1000:.2f} ms CPU and "
        f"{wall / args.creates * 1000:.2f} ms wall per create"
        + (" (under the profiler)" if not args.no_profile else "")
    )
    if not args.no_profile:
        _report(profile, args.sort, args.top)

    relay_profile = cProfile.Profile(time.process_time)
    cpu0 = time.process_time()
    if not args.no_profile:
        relay_profile.enable()
    relayed = relay_all()
    relay_profile.disable()
    cpu = time.process_time() - cpu0
    print(
        f"relay: {relayed} events in one go, {cpu / max(1, relayed) * 1000:.2f} ms CPU per event"
        + (" (under the profiler)" if not args.no_profile else "")
    )
    if not args.no_profile:
        _report(relay_profile, args.sort, args.top)

    # One event per relay round, as the worker does when creates arrive one at a time.
    rounds = min(args.creates, 200)
    for _ in range(rounds):
        create()
    single = cProfile.Profile(time.process_time)
    cpu0 = time.process_time()
    if not args.no_profile:
        single.enable()
    for _ in range(rounds):
        relay_pending(ctx.db, OutboxEvent, conn, "intake", batch=1)
    relay_pending(ctx.db, OutboxEvent, conn, "intake")  # the round that finds nothing
    single.disable()
    cpu = time.process_time() - cpu0
    print(f"relay: one event per round, {cpu / rounds * 1000:.2f} ms CPU per event")
    if not args.no_profile:
        _report(single, args.sort, args.top)
    ctx.close()


if __name__ == "__main__":
    sys.exit(main())

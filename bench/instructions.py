"""Instructions per create, counted by valgrind: a measure of the web side's work that does not
drift with the machine (issue 12).

    python -m bench.instructions [--creates 100] [--out docs/benchmarks.md]

CPU seconds on this kind of machine drift by half between two runs a minute apart
(docs/benchmarks.md); callgrind counts the instructions a process runs, which repeat to a few
tenths of a percent. Each target runs in its own process under `valgrind --tool=callgrind
--instr-atstart=no`, with its own throw-away PostgreSQL and Redis (not counted: other
processes), production settings and a bearer token, driven in-process through Flask's test
client (no gunicorn, no HTTP parsing). After 30 creates to warm up, the process switches
counting on (`callgrind_control -i on`), makes `--creates` creates and switches it off.
Counted: the web process's user-space instructions, the database driver's included; not
counted: the kernel (system calls, so round trips cost more than this shows) and the database
server. The targets are the bare app's endpoints (bench/bare_app.py) and Instap's intake create.

Needs valgrind (Debian's package; `scripts/system-deps.sh valgrind` installs it).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from shared.testdata import resident_payload

START, END = "<!-- instructions-bench:start -->", "<!-- instructions-bench:end -->"
TARGETS = {
    "bare": "/bare/residents",
    "bare+writes": "/bare/residents/written",
    "bare+writes, 1 statement": "/bare/residents/one-statement",
    "bare+writes, 1 statement, Instap's validation": "/bare/residents/validated",
    "instap": "/intake/api/v1/residents",
}
WARM_UP = 30


def child(target: str, creates: int) -> None:
    """Runs under valgrind: set up, warm up, count `creates` creates."""
    from bench.load_bench import seed_accounts
    from bench.profile_create import production_services

    with production_services("instap-instructions-") as (_workdir, pg_url, _redis_url):
        from services.intake.app import create_app
        from shared.cli import migrate_all
        from shared.config import load_settings

        settings = load_settings()
        migrate_all(settings)
        coach_id, _org, token = seed_accounts(load_settings(env="test", password_hashing="fast"), pg_url)
        path = TARGETS[target]
        if path.startswith("/bare"):
            from bench import bare_app

            bare_app.create_schema(pg_url)
            app = bare_app.create_app(pg_url)
        else:
            app = create_app(settings)
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        body = json.dumps(resident_payload(coach_id=coach_id)).encode()
        for _ in range(WARM_UP):
            response = client.post(path, data=body, headers=headers)
            assert response.status_code == 201, response.get_data(as_text=True)
        _counting("on")
        statuses = [client.post(path, data=body, headers=headers).status_code for _ in range(creates)]
        _counting("off")
        if set(statuses) != {201}:  # a failing create would be counted as a cheap one
            raise SystemExit(f"{target}: answers {sorted(set(statuses))}, not only 201")


def _counting(state: str) -> None:
    subprocess.run(["callgrind_control", "-i", state, str(os.getpid())], check=True, capture_output=True)


def count(target: str, creates: int) -> float:
    """Instructions per create of one target, in a process of its own under callgrind."""
    with tempfile.TemporaryDirectory(prefix="instap-callgrind-") as tmp:
        command = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={tmp}/callgrind.out",
            sys.executable,
            "-m",
            "bench.instructions",
            "--child",
            target,
            "--creates",
            str(creates),
        ]
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        found = re.search(r"Collected : (\d+)", done.stderr)
        if done.returncode != 0 or not found:
            raise SystemExit(f"{target}: valgrind run failed\n{done.stderr[-3000:]}")
        return int(found.group(1)) / creates


def report(counts: dict[str, float], creates: int) -> str:
    bare = counts["bare"]
    lines = [
        "## Instructions per create (valgrind): Instap against the bare app",
        "",
        f"`python -m bench.instructions --creates {creates}`: user-space instructions of the web "
        "process per create, in-process (Flask's test client), PostgreSQL, production settings, "
        "bearer token. Repeats to a few tenths of a percent, whatever else the machine does; "
        "system calls and the database server are not counted.",
        "",
        "| target | instructions per create | against the bare app |",
        "|---|---:|---:|",
    ]
    lines += [f"| {name} | {n / 1e6:.2f} M | {n / bare:.2f}× |" for name, n in counts.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.instructions")
    parser.add_argument("--creates", type=int, default=100)
    parser.add_argument("--targets", nargs="*", default=list(TARGETS), choices=list(TARGETS))
    parser.add_argument("--out", type=Path)
    parser.add_argument("--child", choices=list(TARGETS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.creates)
        return 0
    counts = {}
    for target in dict.fromkeys(["bare", *args.targets]):
        counts[target] = count(target, args.creates)
        print(f"{target}: {counts[target] / 1e6:.2f} M instructions per create", flush=True)
    from bench.rapportage_bench import write  # not in the counted child: it imports a lot

    write(args.out, START, END, report(counts, args.creates))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

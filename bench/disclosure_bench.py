"""Micro-benchmark of disclosure control: suppression (and its audit) for 0, 1 and 2 breakdowns.

    python -m bench.disclosure_bench [--repeat 3] [--cohorts 150,1500,15000]

Not a test: it prints a Markdown table. Each row is a funnel over the contract's worst-case
category counts (wijk 6 x gender 4 x 7 stages = 245 cells; wijk 6 x age band 5 x 7 = 294 cells)
for a cohort of the given size, drawn with a fixed seed: small cohorts have many small cells
(the hard case), large ones few. Times are CPU seconds of this process (the machine may be
shared) and the best of `--repeat` runs; "audit" is the independent LP attack with the truth.
"""

from __future__ import annotations

import os

# One BLAS thread: the matrices are small, and BLAS threads fight over a busy machine (measured
# 100x slower SVDs with threads on a loaded 2-core box). Set before numpy is imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from datetime import UTC, date, datetime, timedelta  # noqa: E402

import numpy as np  # noqa: E402
import ortools  # noqa: E402

from services.rapportage.disclosure import (  # noqa: E402
    AGE_BANDS,
    GENDERS,
    REPORT,
    STAGES,
    TITLE,
    WIJKEN,
    FunnelPerson,
    Policy,
    audit,
    build_document,
    funnel_table,
    suppress,
)

SEED = 20260101
START, END = date(2026, 1, 1), date(2026, 12, 31)
# Chance to go on from each stage to the next (intake ... duurzaam).
ONWARD = [0.8, 0.7, 0.65, 0.7, 0.6, 0.7]
BREAKDOWNS = [(), ("wijk",), ("gender",), ("wijk", "gender"), ("wijk", "age_band")]


def cohort(size: int, seed: int = SEED) -> list[FunnelPerson]:
    """Persons registered in 2026 with a realistic spread (few 'anders', few outside Dordt West)."""
    rng = np.random.default_rng(seed + size)
    wijk = rng.choice(len(WIJKEN), size, p=[0.22, 0.22, 0.2, 0.2, 0.1, 0.06])
    gender = rng.choice(len(GENDERS), size, p=[0.55, 0.4, 0.02, 0.03])
    age = rng.choice(len(AGE_BANDS), size, p=[0.3, 0.35, 0.25, 0.05, 0.05])
    day = rng.integers(0, 365, size)
    onward = rng.random((size, len(ONWARD))) < np.array(ONWARD)
    furthest = np.cumprod(onward, axis=1).sum(axis=1)
    persons = []
    for i in range(size):
        registered = datetime(2026, 1, 1, 9, tzinfo=UTC) + timedelta(days=int(day[i]))
        reached = {STAGES[s]: registered + timedelta(days=s) for s in range(1, int(furthest[i]) + 1)}
        persons.append(
            FunnelPerson(f"p{i}", registered, WIJKEN[wijk[i]], GENDERS[gender[i]], AGE_BANDS[age[i]], reached)
        )
    return persons


def measure(persons: list[FunnelPerson], by: tuple[str, ...], repeat: int) -> dict[str, float]:
    table = funnel_table(persons, START, END, by)
    best = {"suppress": float("inf"), "audit": float("inf")}
    for _ in range(repeat):
        started = time.process_time()
        protected = suppress(table, Policy())
        best["suppress"] = min(best["suppress"], time.process_time() - started)
        document = build_document(protected, report=REPORT, title=TITLE, period_from=START, period_to=END)
        started = time.process_time()
        report = audit(document, truth=[protected.truth()])
        best["audit"] = min(best["audit"], time.process_time() - started)
        assert not report.violations()
    statuses = [c.status.value for c in protected.cells]
    return {
        **best,
        "cells": len(statuses),
        "small": protected.stats.small_counts,
        "hidden": statuses.count("suppressed"),
        "lps": protected.stats.lp_solves,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.disclosure_bench")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cohorts", default="150,1500,15000")
    args = parser.parse_args(argv)
    print(f"python {platform.python_version()}, OR-Tools {ortools.__version__}, numpy {np.__version__}")
    print("| cohort | by | cells | small counts | hidden | LPs | suppress (CPU s) | audit (CPU s) |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for size in (int(s) for s in args.cohorts.split(",")):
        persons = cohort(size)
        for by in BREAKDOWNS:
            r = measure(persons, by, args.repeat)
            print(
                f"| {size} | {','.join(by) or '-'} | {r['cells']} | {r['small']} | {r['hidden']} "
                f"| {r['lps']} | {r['suppress']:.3f} | {r['audit']:.3f} |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

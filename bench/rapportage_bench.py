"""Rapportage at scale: every report on PostgreSQL and SQLite over about 1,000,000 facts, against a
naive baseline in the same run (load every fact row into Python and count), plus the monthly pack
and the event consumer's throughput.

    python -m bench.rapportage_bench [--persons 100000] [--backends postgresql,sqlite]
        [--out docs/benchmarks.md]

Facts are written straight into the tables (rows as the consumer would have written them, keyed
hashes included): feeding a million events through one consumer would only measure the consumer,
which is measured on its own (events per second through `apply_once`, one transaction each).
Timings are wall-clock seconds on whatever machine runs it; the development machine is shared.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from services.rapportage.domain import packs
from services.rapportage.domain.consumer import apply_batch
from services.rapportage.domain.facts import FactStore
from services.rapportage.domain.pseudonym import pseudonym
from services.rapportage.domain.reports.catalog import REPORTS, document
from services.rapportage.domain.reports.query import ReportQuery
from services.rapportage.models import (
    CertificateFact,
    EnrolmentFact,
    FollowUpFact,
    InboxEvent,
    LadderFact,
    OutreachActivity,
    Person,
    PlacementFact,
    ProposalFact,
    StageFact,
)
from shared.cli import migrate_all
from shared.clock import AMSTERDAM
from shared.config import load_settings
from shared.db import Database
from shared.jobs import apply_once
from shared.localservers import start_postgres, start_redis
from tests.rapportage.events import Feed

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
START, END = "<!-- rapportage-bench:start -->", "<!-- rapportage-bench:end -->"
CSTART, CEND = "<!-- consumer-bench:start -->", "<!-- consumer-bench:end -->"
FUNNEL = ("aangemeld", "intake", "orientatie", "opleiding", "gecertificeerd", "geplaatst", "duurzaam")
GO_ON = (0.85, 0.75, 0.8, 0.8, 0.7, 0.6)
WIJKEN = ("oud_krispijn", "nieuw_krispijn", "wielwijk", "crabbehof", "overig_dordrecht", "buiten_dordrecht")
GENDERS = ("man", "vrouw", "anders", "onbekend")
AGES = ("15-25", "25-45", "45-65", "65+", "onbekend")
KEY = b"bench-only-key"
# (report, breakdown) timed; each includes suppression and the audit of its own output.
CASES = [
    ("funnel", ("wijk",)),
    ("placements", ("contractor",)),
    ("certificates", ("kind",)),
    ("retention", ("gender",)),
    ("ladder", ("wijk",)),
    ("outreach", ("wijk", "maand")),
    ("fairness", ("gender",)),
]


def _key(kind: str, i: int | str) -> str:
    return pseudonym(KEY, kind, i)


def generate(persons: int, end: date, rng: random.Random) -> dict[Any, list[dict[str, Any]]]:
    """Rows of ~10 facts per person over five years (the consumer's own shape)."""
    rows: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    start = date(end.year - 5, end.month, 1)
    span = (end - start).days
    now = datetime.combine(end, datetime.min.time(), tzinfo=UTC)
    n_placement = n_cert = n_prop = n_follow = 0
    for i in range(persons):
        person = _key("person", f"DW-{i}")
        reg = datetime.combine(start + timedelta(days=rng.randrange(span)), datetime.min.time(), tzinfo=UTC)
        furthest = 0
        while furthest < 6 and rng.random() < GO_ON[furthest]:
            furthest += 1
        moments = [reg]
        for _ in range(furthest):
            moments.append(moments[-1] + timedelta(days=rng.randrange(7, 45)))
        moments = [m for m in moments if m < now]
        furthest = len(moments) - 1
        row = {
            "key": person,
            "registered_at": reg,
            "registered_on": reg.astimezone(AMSTERDAM).date(),
            "wijk": rng.choice(WIJKEN),
            "gender": rng.choice(GENDERS),
            "age_band": rng.choice(AGES),
            "attrs_rank": f"0|{reg.isoformat()}|1",
            "dropped_at": None,
        }
        for n, stage in enumerate(FUNNEL[1:], start=1):
            row[f"{stage}_at"] = moments[n] if n <= furthest else None
        rows[Person].append(row)
        for n, m in enumerate(moments):
            rows[StageFact].append(
                {
                    "person": person,
                    "from_stage": None,
                    "to_stage": FUNNEL[n],
                    "reason_code": None,
                    "changed_at": m,
                }
            )
        if furthest >= 1:
            trede = rng.randint(1, 4)
            rows[LadderFact].append(
                {"person": person, "trede": trede, "source": "intake", "measured_at": moments[1]}
            )
        if furthest >= 2:
            n_prop += 1
            ok = furthest >= 5
            rows[ProposalFact].append(
                {
                    "key": _key("proposal", n_prop),
                    "person": person,
                    "organisation_id": rng.randint(1, 8),
                    "status": "aannemer_akkoord" if ok else "voorgesteld",
                    "seq": 3 if ok else 1,
                    "changed_at": moments[2],
                    "kind": "task",
                    "proposed_at": moments[2],
                    "coach_ok_at": moments[2] + timedelta(days=1) if ok else None,
                    "contractor_ok_at": moments[2] + timedelta(days=2) if ok else None,
                    "contractor_no_at": None,
                }
            )
        if furthest >= 3:
            rows[EnrolmentFact].append(
                {
                    "key": _key("enrolment", i),
                    "person": person,
                    "organisation_id": 20,
                    "status": "afgerond" if furthest >= 4 else "opleiding",
                    "seq": 2,
                    "changed_at": moments[3],
                    "training": "Leerwerktraject",
                    "crebo": "25470",
                    "started_on": moments[3].date(),
                    "ended_on": None,
                }
            )
        if furthest >= 4:
            n_cert += 1
            rows[CertificateFact].append(
                {
                    "key": _key("certificate", n_cert),
                    "person": person,
                    "organisation_id": 20,
                    "status": "valid",
                    "seq": 1,
                    "changed_at": moments[4],
                    "kind": rng.choice(("vca_basis", "praktijkverklaring", "bhv")),
                    "training": "Leerwerktraject",
                    "crebo": "25470",
                    "issued_on": moments[4].date(),
                }
            )
        if furthest >= 5:
            n_placement += 1
            placement = _key("placement", n_placement)
            started = moments[5].date()
            rows[PlacementFact].append(
                {
                    "key": placement,
                    "person": person,
                    "organisation_id": rng.randint(1, 8),
                    "status": "gestart",
                    "seq": 2,
                    "changed_at": moments[5],
                    "corporation": rng.choice(("Trivire", "Woonbron")),
                    "project": f"Project {rng.randint(1, 12)}",
                    "occupation": rng.choice(("isolatiemonteur", "energiefixer", "grondwerker_warmtenet")),
                    "contract_type": rng.choice(("bbl", "bepaalde_tijd")),
                    "sroi_tag": "SROI",
                    "planned_start": started,
                    "started_on": started,
                    "ended_on": None,
                    "end_reason": None,
                }
            )
            for month in (6, 12):
                due = started + timedelta(days=30 * month)
                if due >= end:
                    break
                n_follow += 1
                rows[FollowUpFact].append(
                    {
                        "key": _key("followup", n_follow),
                        "person": person,
                        "placement": placement,
                        "month": month,
                        "due_on": due,
                        "recorded_on": due,
                        "still_working": "ja" if furthest >= 6 else "nee",
                        "trede": None,
                        "seq": 1,
                        "changed_at": datetime.combine(due, datetime.min.time(), tzinfo=UTC),
                    }
                )
                rows[LadderFact].append(
                    {
                        "person": person,
                        "trede": min(6, max(1, trede + rng.randint(-1, 3))),
                        "source": "follow_up",
                        "measured_at": datetime.combine(due, datetime.min.time(), tzinfo=UTC),
                    }
                )
    for _ in range(persons // 20):
        rows[OutreachActivity].append(
            {
                "held_on": start + timedelta(days=rng.randrange(span)),
                "wijk": rng.choice(WIJKEN),
                "kind": "informatiebijeenkomst",
                "reached": rng.randrange(5, 80),
                "description": None,
                "organisation_id": 1,
                "recorded_by": None,
                "created_at": now,
            }
        )
    return rows


def load(db: Database, rows: dict[Any, list[dict[str, Any]]]) -> float:
    started = time.perf_counter()
    for model, items in rows.items():
        with db.unit_of_work() as s:
            for i in range(0, len(items), 10_000):
                s.execute(insert(model), items[i : i + 10_000])
    return time.perf_counter() - started


# --- the naive baseline: every row into Python, then count ------------------------------------


def _all(s: Any, model: Any) -> list[Any]:
    return list(s.execute(select(*model.__table__.columns)))


def naive(s: Any, name: str, q: ReportQuery) -> int:
    """Count the report's cells the slow way; returns the number of persons counted."""
    cut = q.cutoff
    persons = {p.key: p for p in _all(s, Person)}
    if name in ("funnel", "fairness"):
        reached: dict[str, int] = {}
        for f in _all(s, StageFact):
            if f.changed_at < cut and f.to_stage in FUNNEL:
                reached[f.person] = max(reached.get(f.person, 0), FUNNEL.index(f.to_stage))
        if name == "fairness":
            props: dict[str, int] = {}
            for p in _all(s, ProposalFact):
                level = 3 if p.contractor_ok_at else 2 if p.coach_ok_at else 1
                props[p.person] = max(props.get(p.person, 0), level)
            for p in _all(s, PlacementFact):
                props[p.person] = 4
        counts: Counter[tuple[str, int]] = Counter()
        for key, p in persons.items():
            if p.registered_on and q.start <= p.registered_on <= q.end:
                level = reached.get(key, 0) if name == "funnel" else props.get(key, 0)
                counts[(p.wijk if name == "funnel" else p.gender, level)] += 1
        return sum(counts.values())
    if name in ("placements", "retention"):
        firsts: dict[str, Any] = {}
        for p in _all(s, PlacementFact):
            in_period = p.started_on is not None and q.start <= p.started_on <= q.end
            if in_period and (
                p.person not in firsts
                or (p.started_on, p.key) < (firsts[p.person].started_on, firsts[p.person].key)
            ):
                firsts[p.person] = p
        if name == "retention":
            ok = {(f.placement, f.month) for f in _all(s, FollowUpFact) if f.still_working == "ja"}
            c = Counter(
                (persons[p.person].gender, (p.key, 6) in ok, (p.key, 12) in ok) for p in firsts.values()
            )
            return sum(c.values())
        return sum(Counter(p.organisation_id for p in firsts.values()).values())
    if name == "certificates":
        firsts = {}
        for c in _all(s, CertificateFact):
            in_period = c.status == "valid" and q.start <= c.issued_on <= q.end
            if in_period and (
                c.person not in firsts
                or (c.issued_on, c.key) < (firsts[c.person].issued_on, firsts[c.person].key)
            ):
                firsts[c.person] = c
        return sum(Counter(c.kind for c in firsts.values()).values())
    if name == "ladder":
        first: dict[str, Any] = {}
        last: dict[str, Any] = {}
        for m in _all(s, LadderFact):
            if m.source == "intake" and (
                m.person not in first or m.measured_at < first[m.person].measured_at
            ):
                first[m.person] = m
            if (
                m.source == "follow_up"
                and m.measured_at < cut
                and (m.person not in last or m.measured_at > last[m.person].measured_at)
            ):
                last[m.person] = m
        c2 = Counter(
            (persons[k].wijk, min(3, max(-1, v.trede - first[k].trede)))
            for k, v in last.items()
            if k in first and v.measured_at.astimezone(AMSTERDAM).date() >= q.start
        )
        return sum(c2.values())
    activities = Counter(
        (a.wijk, a.held_on.month) for a in _all(s, OutreachActivity) if q.start <= a.held_on <= q.end
    )
    return sum(activities.values())


def timed(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def _consumer_events(events: int, prefix: str) -> list[dict[str, Any]]:
    """A mix like the live stream: per resident a registration, an intake and a proposal."""
    feed = Feed()
    envs = []
    base = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(events // 3):
        pid = f"{prefix}-{i}"
        at = base + timedelta(minutes=i)
        envs.append(feed.stage(pid, "aangemeld", at))
        envs.append(feed.stage(pid, "intake", at + timedelta(days=3), from_stage="aangemeld"))
        envs.append(feed.proposal(10_000_000 + i, pid, "voorgesteld", at + timedelta(days=5)))
    return envs


def consumer_rate(db: Database, events: int, batch: int = 500) -> dict[str, float]:
    """Events/s of the per-event path (`apply_once`, one transaction each) and of the batch path
    (`apply_batch`, what the worker's event job does with the jobs queued behind it), in the
    same run, on fresh residents each, on top of the loaded fact store. The batch path also
    runs every event a second time (redelivery: all duplicates)."""
    store = FactStore(KEY)
    handlers = store.handlers()
    single = _consumer_events(events, "EV1")
    t0 = time.perf_counter()
    for env in single:
        apply_once(db, InboxEvent, env, handlers)
    per_event = len(single) / (time.perf_counter() - t0)
    many = _consumer_events(events * 10, "EV2")
    t0 = time.perf_counter()
    applied = sum(apply_batch(db, many[i : i + batch], store) for i in range(0, len(many), batch))
    batched = len(many) / (time.perf_counter() - t0)
    assert applied == len(many)
    t0 = time.perf_counter()
    again = sum(apply_batch(db, many[i : i + batch], store) for i in range(0, len(many), batch))
    redelivered = len(many) / (time.perf_counter() - t0)
    assert again == 0
    return {"per_event": per_event, "batch": batched, "redelivered": redelivered, "batch_size": batch}


def measure(
    backend: str, persons: int, workdir: Path, rng_seed: int = 2026, consumer_only: bool = False
) -> dict[str, Any]:
    redis_server = start_redis(workdir / "redis")
    pg = start_postgres(workdir / "pg") if backend == "postgresql" else None
    try:
        overrides: dict[str, Any] = {
            "data_dir": workdir / "var",
            "redis_url": redis_server.url,
            "log_level": "WARNING",
        }
        if pg is not None:
            overrides.update(
                {f"{c}_database_url": pg.url for c in ("accounts", "intake", "matching", "rapportage")}
            )
        settings = load_settings(**overrides)
        migrate_all(settings)
        db = Database(settings.database_url("rapportage"), "rapportage")
        end = date.today()
        rows = generate(persons, end, random.Random(rng_seed))
        facts = sum(len(v) for v in rows.values())
        load_s = load(db, rows)
        del rows
        if pg is not None:
            with db.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        if consumer_only:
            rate = consumer_rate(db, 1500)
            db.dispose()
            return {
                "backend": backend,
                "persons": persons,
                "generated": facts,
                "load": load_s,
                "consumer": rate,
                "loadavg": os.getloadavg()[0],
            }
        q = ReportQuery(date(end.year - 5, 1, 1), end, (), 5)
        results = []
        for name, by in CASES:
            with db.unit_of_work() as s:
                report_s, doc = timed(lambda s=s, name=name, by=by: document(s, REPORTS[name], q.with_by(by)))
                naive_s, _ = timed(lambda s=s, name=name: naive(s, name, q), repeat=1)
            hidden = sum(c["status"] == "suppressed" for c in doc["cells"])
            results.append(
                {
                    "report": name,
                    "by": ",".join(by),
                    "cells": len(doc["cells"]),
                    "hidden": hidden,
                    "seconds": report_s,
                    "naive": naive_s,
                }
            )
            print(backend, results[-1], flush=True)
        t0 = time.perf_counter()
        with db.unit_of_work() as s:
            docs, extras = packs.build_documents(s, date(end.year, 1, 1), end, 5)
        from services.rapportage.exports import files

        files.xlsx_bytes(docs)
        files.pdf_bytes(files.pack_html(docs, heading="Bench", extras=extras))
        pack_s = time.perf_counter() - t0
        with db.unit_of_work() as s:
            total = sum(
                s.scalar(select(func.count()).select_from(m)) or 0
                for m in (
                    Person,
                    StageFact,
                    ProposalFact,
                    EnrolmentFact,
                    CertificateFact,
                    PlacementFact,
                    FollowUpFact,
                    LadderFact,
                )
            )
        rate = consumer_rate(db, 1500)
        db.dispose()
        return {
            "backend": backend,
            "persons": persons,
            "facts": total,
            "generated": facts,
            "load": load_s,
            "results": results,
            "pack": pack_s,
            "pack_tables": len(docs),
            "consumer": rate,
            "loadavg": os.getloadavg()[0],
        }
    finally:
        if pg is not None:
            pg.stop()
        redis_server.stop()


def table(runs: list[dict[str, Any]]) -> str:
    lines = [
        "| backend | report | by | cells | hidden | report (with suppression and audit) | naive | speed-up |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        for r in run["results"]:
            lines.append(
                f"| {run['backend']} | {r['report']} | {r['by'] or '-'} | {r['cells']} | {r['hidden']} | "
                f"**{r['seconds']:.2f} s** | {r['naive']:.2f} s | {r['naive'] / r['seconds']:.0f}× |"
            )
    lines += [
        "",
        "| backend | facts | persons | bulk load | monthly pack (tables, XLSX, PDF) | consumer per event "
        "| consumer in batches | batches redelivered | load avg |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        lines.append(
            f"| {run['backend']} | {run['facts']:,} | {run['persons']:,} | {run['load']:.0f} s | "
            f"{run['pack']:.1f} s ({run['pack_tables']} tables) | "
            f"{run['consumer']['per_event']:.0f} events/s | "
            f"**{run['consumer']['batch']:,.0f} events/s** ({run['consumer']['batch_size']} a batch) | "
            f"{run['consumer']['redelivered']:,.0f} events/s | "
            f"{run['loadavg']:.1f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rapportage_bench")
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--backends", default="postgresql,sqlite")
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--consumer-only",
        action="store_true",
        help="only the consumer's throughput, per event and in batches (its own section)",
    )
    args = parser.parse_args(argv)
    runs = []
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory(prefix="instap-rbench-") as tmp:
            runs.append(measure(backend, args.persons, Path(tmp), consumer_only=args.consumer_only))
    if args.consumer_only:
        write(args.out, CSTART, CEND, consumer_text(runs, args.persons))
        return 0
    text = (
        "## Rapportage: every report over about a million facts\n\n"
        f"`python -m bench.rapportage_bench --persons {args.persons}` (in `make bench`). "
        "Facts over five years; "
        "each report over the whole five years with one or two breakdowns, timed best of 3 including "
        "suppression and the audit of its own output; the naive baseline loads every fact row into "
        "Python and counts (once). Wall-clock seconds on the shared 2-core development machine while "
        "other agents ran their tests (load average in the last table): read them as an upper bound.\n\n"
        + table(runs)
    )
    write(args.out, START, END, text)
    return 0


def machine_state(runs: list[dict[str, Any]]) -> str:
    """How to read wall-clock numbers: the load average the runs saw says whether others shared
    the 2 cores (then the numbers are an upper bound of the cost)."""
    load = max(run["loadavg"] for run in runs)
    if load < 1.5:
        return f"quiet (load average at most {load:.1f}: nothing else ran)"
    return f"shared with other work (load average up to {load:.1f}): read the rates as a lower bound"


def consumer_text(runs: list[dict[str, Any]], persons: int) -> str:
    lines = [
        "## Rapportage: the event consumer, one event per transaction and in batches\n",
        f"`python -m bench.rapportage_bench --consumer-only --persons {persons}` (the full "
        "`make bench` run measures the same on top of the ~822,000 facts, in the table above). "
        "The fact store first holds the generated history of that many persons; then, in the same "
        "run, 1,500 events (per resident a registration, an intake and a proposal) through the "
        "per-event path (`apply_once`: one transaction each), 15,000 such events through the batch "
        "path (`apply_batch`, 500 a transaction: what the worker's event job does with the jobs "
        "queued behind it), and the same 15,000 again (redelivered: all duplicates). Wall clock "
        f"on the 2-core machine, {machine_state(runs)}.\n",
        "| backend | facts loaded (persons) | per event | **in batches of 500** | redelivered batches "
        "| speed-up | load avg |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        c = run["consumer"]
        lines.append(
            f"| {run['backend']} | {run['generated']:,} ({run['persons']:,}) "
            f"| {c['per_event']:,.0f} events/s "
            f"| **{c['batch']:,.0f} events/s** | {c['redelivered']:,.0f} events/s "
            f"| {c['batch'] / c['per_event']:.0f}× | {run['loadavg']:.1f} |"
        )
    return "\n".join(lines)


def write(out: Path | None, start: str, end: str, text: str) -> None:
    print(text)
    if not out:
        return
    import re

    body = out.read_text() if out.exists() else "# Benchmarks\n"
    block = f"{start}\n{text}\n{end}"
    if start in body:
        body = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: block, body, flags=re.S)
    else:
        body = body.rstrip() + "\n\n" + block + "\n"
    out.write_text(body)


if __name__ == "__main__":
    raise SystemExit(main())

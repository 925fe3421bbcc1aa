"""The auditor finds leaks in under-suppressed documents (so it can fail) and reads only JSON."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from services.rapportage.disclosure import AuditError, Dimension, Table, TableSpec, audit, suppress
from services.rapportage.disclosure.audit import main

from .helpers import doc, funnel_of


def show_all(document: dict[str, Any], truth: dict[tuple[str, ...], int], *keep_hidden: tuple[str, ...]):
    """A deliberately under-suppressed copy: every cell shown except `keep_hidden`."""
    out = copy.deepcopy(document)
    for cell in out["cells"]:
        labels = tuple(cell["key"][d] for d in out["dimensions"])
        cell.clear()
        cell["key"] = dict(zip(out["dimensions"], labels, strict=True))
        hidden = labels in keep_hidden
        cell["value"] = None if hidden else truth[labels]
        cell["status"] = "suppressed" if hidden else "shown"
    return out


def test_primary_suppression_alone_leaks_through_the_total() -> None:
    table = Table(TableSpec((Dimension("wijk", ("a", "b", "c")),)), [3, 20, 30])
    protected = suppress(table)
    leaky = show_all(doc(protected, "other"), protected.truth(), ("a",))
    report = audit(leaky, truth=[protected.truth()])
    [leak] = report.violations()
    assert leak.key == (("wijk", "a"),) and leak.low == pytest.approx(3) and leak.high == pytest.approx(3)
    # Without the truth it is still certain: only whole numbers from 1 to 4 fit (here just 3).
    assert [r.key for r in audit(leaky).disclosures()] == [(("wijk", "a"),)]
    assert [r.key for r in audit(leaky).suspects()] == [(("wijk", "a"),)]
    assert audit(doc(protected, "other"), truth=[protected.truth()]).violations() == []


def test_difference_between_funnel_stages_leaks_when_both_are_shown() -> None:
    table = funnel_of([1, 1, 10, 0, 0, 0, 0])
    protected = suppress(table)
    leaky = show_all(doc(protected), protected.truth(), ("s1",))  # 12 and 10 shown: 1 + 1 = 2 hidden
    kinds = {(r.kind, r.key) for r in audit(leaky, truth=[protected.truth()]).violations()}
    assert ("exactly", (("stage", "s0"),)) in kinds and ("exactly", (("stage", "s1"),)) in kinds
    # The cells themselves (11) are not small; the derived counts are what leaks.
    assert all(kind == "exactly" for kind, _ in kinds)


def test_the_stage_order_only_counts_for_funnel_documents() -> None:
    # Same numbers, report "other": no cumulative stages, so only the cells are attacked.
    table = funnel_of([1, 1, 10, 0])
    protected = suppress(table)
    leaky = show_all(doc(protected, "other"), protected.truth(), ("s1",))
    assert {r.kind for r in audit(leaky).ranges} == {"cell"}


def test_rounded_cells_are_known_up_to_half_the_multiple() -> None:
    table = Table(TableSpec((Dimension("wijk", ("a", "b")),)), [2, 20])
    protected = suppress(table)
    document = show_all(doc(protected, "other"), protected.truth(), ("a",), ("b",))
    for cell in document["cells"]:
        if cell["key"]["wijk"] == "b":
            cell.update({"value": 20, "status": "rounded", "rounded_to": 5})
    [r] = [r for r in audit(document).ranges if r.key == (("wijk", "a"),)]
    assert (r.low, r.high) == (pytest.approx(0.0), pytest.approx(4.5))
    assert not r.protected(5) and r.may_be_small(5) and not r.surely_small(5)  # it may be 0


def test_two_documents_are_attacked_together() -> None:
    # Each table alone protects its small cell; together they pin it down.
    first = {
        "format": "instap.table/1", "report": "r", "title": "a",
        "period": {"from": "2026-01-01", "to": "2026-12-31"}, "unit": "persons",
        "dimensions": ["wijk"], "categories": {"wijk": ["a", "b"]}, "additive": ["wijk"],
        "threshold": 5, "notes": [],
        "cells": [
            {"key": {"wijk": "a"}, "value": None, "status": "suppressed"},
            {"key": {"wijk": "b"}, "value": None, "status": "suppressed"},
            {"key": {"wijk": "*"}, "value": 23, "status": "shown"},
        ],
    }  # fmt: skip
    second = copy.deepcopy(first)
    second["cells"][1].update({"value": 20, "status": "shown"})
    second["cells"][2].update({"value": None, "status": "suppressed"})
    assert audit(first).suspects() == [] and audit(second).suspects() == []
    joint = audit(first, second)
    assert {r.key for r in joint.suspects()} == {(("wijk", "a"),)}


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(format="instap.table/2"),
        lambda d: d.update(threshold=2),
        lambda d: d["cells"].pop(),
        lambda d: d["cells"].append(copy.deepcopy(d["cells"][0])),
        lambda d: d["cells"][0].update(extra=1),
        lambda d: d["cells"][0].update(status="shown", value=None),
        lambda d: d["cells"][0].update(key={"stage": "nowhere"}),
        lambda d: d.update(categories={"stage": ["s0", "s0"]}),
        lambda d: d["cells"][0].update(status="rounded", value=7, rounded_to=5),
    ],
)
def test_malformed_documents_are_refused(change) -> None:  # type: ignore[no-untyped-def]
    document = doc(suppress(funnel_of([1, 1, 10, 0])))
    change(document)
    with pytest.raises(AuditError):
        audit(document)


def test_contradictory_numbers_are_refused() -> None:
    table = Table(TableSpec((Dimension("wijk", ("a", "b")),)), [10, 20])
    document = doc(suppress(table), "other")
    document["cells"][2]["value"] = 31  # the total is not the sum of its shown parts
    with pytest.raises(AuditError):
        audit(document)


def test_command_line_reports_suspects_and_exit_codes(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    table = Table(TableSpec((Dimension("wijk", ("a", "b", "c")),)), [3, 20, 30])
    protected = suppress(table)
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(doc(protected, "other")))
    bad.write_text(json.dumps(show_all(doc(protected, "other"), protected.truth(), ("a",))))
    assert main([str(good)]) == 0
    assert main([str(bad)]) == 1
    assert "af te leiden: cel (wijk=a)" in capsys.readouterr().out
    assert main([str(tmp_path / "missing.json")]) == 2
    assert main([]) == 2

"""Slow, obviously-correct reference implementations the engine is checked against."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from ortools.sat.python import cp_model

LEVELS = ["pre_A1", "A1", "A2", "B1", "B2", "C1", "C2", "moedertaal"]


def _level(value: str | None) -> int:
    return -1 if value is None else LEVELS.index(value)


def _day(value: str) -> date:
    return date.fromisoformat(value)


def failing(resident: dict[str, Any], opening: dict[str, Any]) -> set[str]:
    """The contract's hard rules, straight from the JSON dicts."""
    req = opening.get("requires", {})
    start = _day(opening["start_date"])
    held: dict[str, date] = {}
    for cert in resident.get("certificates", []):
        until = _day(cert["valid_until"]) if cert.get("valid_until") else date.max
        held[cert["code"]] = max(held.get(cert["code"], date.min), until)
    codes = {
        f"certificaat_ontbreekt:{code}"
        for code in req.get("certificates", [])
        if held.get(code, date.min) < start
    }
    if _level(resident["language"]["spoken"]) < _level(req.get("language_spoken")):
        codes.add("taalniveau_spreken")
    if _level(resident["language"]["written"]) < _level(req.get("language_written")):
        codes.add("taalniveau_schrijven")
    for key, code in (
        ("driving_licence", "rijbewijs"),
        ("work_at_height", "werken_op_hoogte"),
        ("heavy_work", "zwaar_werk"),
    ):
        if req.get(key) and not resident.get(key):
            codes.add(code)
    if _day(resident["available_from"]) > start:
        codes.add("beschikbaarheid")
    if opening["kind"] == "task" and resident["hours_per_week"] < opening["hours_per_week"]:
        codes.add("uren")
    return codes


def training_end(training: dict[str, Any]) -> date:
    return _day(training["start_date"]) + timedelta(weeks=training["weeks"])


def pathway_tasks(instance: dict[str, Any], r: int, s: int) -> list[int]:
    """Tasks resident r may reach through training s, per the pathway rules in the docs."""
    resident, training = instance["residents"][r], instance["openings"][s]
    if training["kind"] != "training" or failing(resident, training):
        return []
    out = []
    for t, task in enumerate(instance["openings"]):
        if task["kind"] != "task" or training_end(training) > _day(task["start_date"]):
            continue
        codes = failing(resident, task)
        missing = {c.split(":", 1)[1] for c in codes if c.startswith("certificaat_ontbreekt:")}
        if codes and len(missing) == len(codes) and missing <= set(training.get("grants", [])):
            out.append(t)
    return out


def optimum(
    n_residents: int, capacity: list[int], resident: list[int], opening: list[int], units: list[int]
) -> tuple[int, int]:
    """(most assigned, then highest total units) by CP-SAT: integer programming, not flow."""
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{i}") for i in range(len(resident))]
    for r in range(n_residents):
        model.add(sum(x[i] for i in range(len(x)) if resident[i] == r) <= 1)
    for o, cap in enumerate(capacity):
        model.add(sum(x[i] for i in range(len(x)) if opening[i] == o) <= cap)
    big = sum(units) + 1
    model.maximize(sum(x[i] * (big + units[i]) for i in range(len(x))))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    status = solver.solve(model)
    assert status == cp_model.OPTIMAL
    value = round(solver.objective_value)
    return value // big, value % big

"""The engine's answer (`instap.result/1`) and its JSON form."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RESULT_FORMAT = "instap.result/1"
# Printed precision: the solver works in units of 1e-6 (assign.SCORE_UNITS) anyway.
DIGITS = 6


@dataclass(frozen=True)
class Assignment:
    """One resident on one opening; `leads_to` is the task a training pathway prepares for."""

    resident: str
    opening: str
    score: float
    explanation: dict[str, float] | None = None
    leads_to: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "resident": self.resident,
            "opening": self.opening,
            "score": round(self.score, DIGITS),
        }
        if self.explanation is not None:
            out["explanation"] = {k: round(v, DIGITS) for k, v in self.explanation.items()}
        if self.leads_to is not None:
            out["leads_to"] = self.leads_to
        return out


@dataclass
class Result:
    """Assignments in resident order; `total_units` is the solver's exact integer objective."""

    assignments: list[Assignment]
    total_score: float
    total_units: int
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def assigned(self) -> int:
        return len(self.assignments)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": RESULT_FORMAT,
            "assignments": [a.to_json() for a in self.assignments],
            "assigned": self.assigned,
            "total_score": round(self.total_score, DIGITS),
            "seconds": {k: round(self.seconds.get(k, 0.0), 4) for k in ("read", "score", "solve")},
        }

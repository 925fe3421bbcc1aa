"""What a report request asks for, parsed and checked: period, breakdowns, threshold."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from shared import clock
from shared.clock import AMSTERDAM
from shared.errors import Invalid

MIN_THRESHOLD = 3
MAX_THRESHOLD = 100
MAX_PERIOD_DAYS = 366 * 10


@dataclass(frozen=True)
class ReportQuery:
    start: date
    end: date
    by: tuple[str, ...] = ()
    threshold: int = 5
    organisation_id: int | None = None  # a contractor sees only its own placements
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def cutoff(self) -> datetime:
        """The end of `end` on the Amsterdam calendar (as an aware moment)."""
        return datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=AMSTERDAM)

    def with_by(self, by: tuple[str, ...]) -> ReportQuery:
        return ReportQuery(self.start, self.end, by, self.threshold, self.organisation_id, self.extra)


def _date(raw: str | None, name: str, default: date) -> date:
    if raw is None or raw == "":
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Invalid(
            "Niet alle gegevens zijn goed ingevuld.",
            {name: ["Geen geldige datum; schrijf jjjj-mm-dd, bijvoorbeeld 2026-01-31."]},
        ) from None


def parse_period(args: Mapping[str, str | None]) -> tuple[date, date]:
    now = clock.today()
    start = _date(args.get("from"), "from", date(now.year, 1, 1))
    end = _date(args.get("to"), "to", now)
    if start > end:
        raise Invalid(
            "Niet alle gegevens zijn goed ingevuld.", {"from": ["De begindatum ligt na de einddatum."]}
        )
    if (end - start).days > MAX_PERIOD_DAYS:
        raise Invalid(
            "Niet alle gegevens zijn goed ingevuld.", {"to": ["Kies een periode van hoogstens tien jaar."]}
        )
    return start, end


def parse_threshold(raw: str | int | None, default: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise Invalid(
            "Niet alle gegevens zijn goed ingevuld.", {"threshold": ["De drempel is een geheel getal."]}
        ) from None
    if value < MIN_THRESHOLD or value > MAX_THRESHOLD:
        raise Invalid(
            "Niet alle gegevens zijn goed ingevuld.",
            {"threshold": [f"De drempel ligt tussen {MIN_THRESHOLD} en {MAX_THRESHOLD}."]},
        )
    return value


def parse_by(
    raw: str | None, allowed: tuple[str, ...], max_by: int, default: tuple[str, ...]
) -> tuple[str, ...]:
    if raw is None:
        return default
    names = [n.strip() for n in raw.split(",") if n.strip()]
    for name in names:
        if name not in allowed:
            raise Invalid(
                "Niet alle gegevens zijn goed ingevuld.",
                {"by": [f"Onbekende uitsplitsing '{name[:40]}'; kies uit: {', '.join(allowed)}."]},
            )
    if len(set(names)) != len(names):
        raise Invalid(
            "Niet alle gegevens zijn goed ingevuld.", {"by": ["Een uitsplitsing staat er twee keer in."]}
        )
    if len(names) > max_by:
        raise Invalid(
            "Niet alle gegevens zijn goed ingevuld.",
            {"by": [f"Hoogstens {max_by} uitsplitsing(en) tegelijk."]},
        )
    return tuple(names)

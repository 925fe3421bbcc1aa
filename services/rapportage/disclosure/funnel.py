"""The funnel report's numbers: unique persons per furthest stage, cumulative (the contract).

- The cohort is every person whose registration falls in [from, to], both days included, on the
  calendar of Europe/Amsterdam.
- A person's furthest stage is the highest funnel stage reached up to the end of `to`
  (Amsterdam time); a later drop-out or stop does not take it away, a skipped stage is not
  reached, and registering is reaching `aangemeld`.
- The cell for stage s counts cohort persons whose furthest stage is s or later.
- A person counts once: records with one `person` are merged (earliest registration, earliest
  moment per stage); records of one person that disagree on wijk, gender or age band are an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np

from shared.clock import AMSTERDAM

from .errors import DisclosureError
from .table import Dimension, Key, Table, TableSpec

STAGES = ("aangemeld", "intake", "orientatie", "opleiding", "gecertificeerd", "geplaatst", "duurzaam")
WIJKEN = ("oud_krispijn", "nieuw_krispijn", "wielwijk", "crabbehof", "overig_dordrecht", "buiten_dordrecht")
GENDERS = ("man", "vrouw", "anders", "onbekend")
AGE_BANDS = ("15-25", "25-45", "45-65", "65+", "onbekend")
BREAKDOWNS: dict[str, tuple[str, ...]] = {"wijk": WIJKEN, "gender": GENDERS, "age_band": AGE_BANDS}
MAX_BREAKDOWNS = 2
REPORT = "funnel"
TITLE = "Trechter in unieke personen"


@dataclass(frozen=True)
class FunnelPerson:
    """What the funnel needs of one person: no name, no id beyond a pseudonymous key."""

    person: str
    registered_at: datetime  # timezone-aware: the moment of reaching `aangemeld`
    wijk: str
    gender: str
    age_band: str  # at registration
    reached: Mapping[str, datetime] = field(default_factory=dict)  # stage -> first moment reached


def parse_by(by: str | Sequence[str]) -> tuple[str, ...]:
    """`wijk,gender` -> ("wijk", "gender"): zero to two known, distinct breakdowns."""
    names = [n.strip() for n in by.split(",")] if isinstance(by, str) else list(by)
    names = [n for n in names if n] if isinstance(by, str) else names
    for name in names:
        if name not in BREAKDOWNS:
            raise DisclosureError("by", f"onbekende uitsplitsing '{name}'; kies uit {', '.join(BREAKDOWNS)}")
    if len(set(names)) != len(names):
        raise DisclosureError("by", "een uitsplitsing staat er twee keer in")
    if len(names) > MAX_BREAKDOWNS:
        raise DisclosureError("by", f"hoogstens {MAX_BREAKDOWNS} uitsplitsingen tegelijk")
    return tuple(names)


def funnel_spec(by: Sequence[str]) -> TableSpec:
    """Dimensions: `by` (additive) followed by `stage` (cumulative, not additive)."""
    dims = [Dimension(name, BREAKDOWNS[name]) for name in parse_by(by)]
    dims.append(Dimension("stage", STAGES, additive=False))
    return TableSpec(tuple(dims), cumulative="stage")


def _local_day(moment: datetime) -> date:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise DisclosureError("registered_at", "een tijdstip zonder tijdzone is dubbelzinnig")
    return moment.astimezone(AMSTERDAM).date()


def _merge(persons: Iterable[FunnelPerson]) -> dict[str, FunnelPerson]:
    merged: dict[str, FunnelPerson] = {}
    for p in persons:
        _local_day(p.registered_at)
        seen = merged.get(p.person)
        if seen is None:
            merged[p.person] = p
            continue
        for attr in ("wijk", "gender", "age_band"):
            if getattr(seen, attr) != getattr(p, attr):
                raise DisclosureError("persons", f"twee gegevens van één persoon verschillen in {attr}")
        reached = dict(seen.reached)
        for stage, moment in p.reached.items():
            reached[stage] = min(moment, reached[stage]) if stage in reached else moment
        merged[p.person] = FunnelPerson(
            p.person, min(seen.registered_at, p.registered_at), p.wijk, p.gender, p.age_band, reached
        )
    return merged


def furthest_stage(person: FunnelPerson, until: date) -> int:
    """Index in STAGES of the furthest stage reached before the end of `until` (Amsterdam)."""
    cutoff = datetime.combine(until + timedelta(days=1), time(0), tzinfo=AMSTERDAM)
    furthest = 0  # registering is reaching `aangemeld`
    for stage, moment in person.reached.items():
        if stage not in STAGES:
            raise DisclosureError("reached", f"onbekende fase '{stage}'")
        _local_day(moment)
        if moment < cutoff:
            furthest = max(furthest, STAGES.index(stage))
    return furthest


def funnel_table(persons: Iterable[FunnelPerson], start: date, end: date, by: Sequence[str] = ()) -> Table:
    """Cumulative unique-person counts per `by` combination and stage for the cohort [start, end]."""
    if start > end:
        raise DisclosureError("from", "de begindatum ligt na de einddatum")
    spec = funnel_spec(by)
    names = spec.names[:-1]
    counts = np.zeros(spec.shape, dtype=np.int64)
    for p in _merge(persons).values():
        if not start <= _local_day(p.registered_at) <= end:
            continue
        index: list[Any] = []
        for name in names:
            label = getattr(p, name)
            if label not in BREAKDOWNS[name]:
                raise DisclosureError(name, f"onbekende categorie '{label}'")
            index.append(BREAKDOWNS[name].index(label))
        index.append(slice(0, furthest_stage(p, end) + 1))
        counts[tuple(index)] += 1
    return Table(spec, counts)


def exactly(table: Table, key: Key) -> int:
    """Persons whose furthest stage is exactly key's stage (what an attacker derives from cells)."""
    stage = key[-1]
    later = STAGES.index(stage) + 1
    value = table.value(key)
    if later < len(STAGES):
        value -= table.value((*key[:-1], STAGES[later]))
    return value

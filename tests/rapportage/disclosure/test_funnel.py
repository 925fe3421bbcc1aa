"""The funnel's numbers against hand-computed counts (cohort, furthest stage, cumulative, once)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.rapportage.disclosure import (
    STAGES,
    DisclosureError,
    FunnelPerson,
    exactly,
    funnel_table,
    parse_by,
)
from shared.reference import GENDERS, codes

FROM, TO = date(2026, 1, 1), date(2026, 3, 31)


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def person(
    pid: str, registered: datetime, wijk: str = "wielwijk", gender: str = "vrouw", **reached: datetime
):
    return FunnelPerson(pid, registered, wijk, gender, "25-45", reached)


def column(table, *labels: str) -> list[int]:  # type: ignore[no-untyped-def]
    return [table.value((*labels, s)) for s in STAGES]


def test_hand_computed_funnel_without_breakdown() -> None:
    persons = [
        person("a", at("2026-01-05"), intake=at("2026-01-10"), orientatie=at("2026-01-20")),
        # Skipped orientatie and opleiding: counts at every stage up to gecertificeerd.
        person("b", at("2026-02-01"), intake=at("2026-02-02"), gecertificeerd=at("2026-03-01")),
        # Reached geplaatst after `to`: only intake counts.
        person("c", at("2026-03-01"), intake=at("2026-03-02"), geplaatst=at("2026-04-02")),
        person("d", at("2026-03-31")),
        # Registered before the period: not in the cohort, however far it got.
        person("e", at("2025-12-20"), intake=at("2026-01-02"), duurzaam=at("2026-02-02")),
    ]
    table = funnel_table(persons, FROM, TO)
    assert column(table) == [4, 3, 2, 1, 1, 0, 0]
    assert [exactly(table, (s,)) for s in STAGES] == [1, 1, 1, 0, 1, 0, 0]


def test_cohort_and_cutoff_follow_the_amsterdam_calendar() -> None:
    persons = [
        # 31 Dec 23:30 UTC is 1 Jan 00:30 in Amsterdam: in the cohort.
        person("in", datetime(2025, 12, 31, 23, 30, tzinfo=UTC)),
        # 31 Mar 22:30 UTC is 1 Apr 00:30 in Amsterdam (summer time): out.
        person("out", datetime(2026, 3, 31, 22, 30, tzinfo=UTC)),
        # Intake at 31 Mar 21:30 UTC = 23:30 Amsterdam: before the end of `to`, so it counts.
        person("late", at("2026-03-01"), intake=datetime(2026, 3, 31, 21, 30, tzinfo=UTC)),
        # Intake at 31 Mar 22:30 UTC = 1 Apr 00:30 Amsterdam: after `to`.
        person("later", at("2026-03-01"), intake=datetime(2026, 3, 31, 22, 30, tzinfo=UTC)),
    ]
    table = funnel_table(persons, FROM, TO)
    assert column(table)[:2] == [3, 1]


def test_a_person_counts_once_however_often_delivered() -> None:
    first = person("a", at("2026-01-05"), intake=at("2026-01-10"))
    again = person("a", at("2026-01-05"), intake=at("2026-01-12"), opleiding=at("2026-02-01"))
    table = funnel_table([first, again, first], FROM, TO)
    assert column(table) == [1, 1, 1, 1, 0, 0, 0]


def test_records_of_one_person_that_disagree_are_an_error() -> None:
    with pytest.raises(DisclosureError):
        funnel_table(
            [person("a", at("2026-01-05")), person("a", at("2026-01-05"), wijk="crabbehof")], FROM, TO
        )


def test_breakdowns_by_wijk_and_gender_with_totals() -> None:
    persons = [
        person("a", at("2026-01-05"), "wielwijk", "man", intake=at("2026-01-06")),
        person("b", at("2026-01-05"), "wielwijk", "vrouw"),
        person(
            "c", at("2026-01-05"), "crabbehof", "vrouw", intake=at("2026-01-06"), geplaatst=at("2026-02-06")
        ),
    ]
    table = funnel_table(persons, FROM, TO, by=("wijk", "gender"))
    assert table.spec.names == ("wijk", "gender", "stage")
    assert column(table, "wielwijk", "*")[:3] == [2, 1, 0]
    assert column(table, "*", "vrouw") == [2, 1, 1, 1, 1, 1, 0]
    assert column(table, "*", "*")[:2] == [3, 2]
    assert exactly(table, ("*", "vrouw", "aangemeld")) == 1


def test_naive_datetimes_and_unknown_stages_or_categories_are_refused() -> None:
    with pytest.raises(DisclosureError):
        funnel_table([person("a", datetime(2026, 1, 5))], FROM, TO)
    with pytest.raises(DisclosureError):
        funnel_table([person("a", at("2026-01-05"), uitgevallen=at("2026-01-06"))], FROM, TO)
    with pytest.raises(DisclosureError):
        funnel_table([person("a", at("2026-01-05"), wijk="atlantis")], FROM, TO, by=("wijk",))
    with pytest.raises(DisclosureError):
        funnel_table([], TO, FROM)


@pytest.mark.parametrize("by", ["wijk,wijk", "postcode", "wijk,gender,age_band", ["gender", "gender"]])
def test_bad_breakdowns_are_refused(by) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DisclosureError) as err:
        parse_by(by)
    assert err.value.field == "by"


def test_breakdown_parsing_and_the_contract_categories() -> None:
    assert parse_by("") == () and parse_by("wijk, age_band") == ("wijk", "age_band")
    table = funnel_table([], FROM, TO + timedelta(days=1), by="wijk,gender")
    assert table.spec.dimension("wijk").categories == codes("wijken")
    assert table.spec.dimension("gender").categories == GENDERS
    assert len(table.spec.cell_keys()) == 7 * 5 * 7

"""The programme's calendar is Dordrecht's, whatever the server's time zone is."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from shared.clock import local_now, today


@pytest.mark.parametrize(
    ("moment", "dutch_date"),
    [
        (datetime(2026, 12, 2, 22, 59, tzinfo=UTC), date(2026, 12, 2)),  # winter: UTC+1
        (datetime(2026, 12, 2, 23, 0, tzinfo=UTC), date(2026, 12, 3)),
        (datetime(2026, 7, 1, 21, 59, tzinfo=UTC), date(2026, 7, 1)),  # summer: UTC+2
        (datetime(2026, 7, 1, 22, 0, tzinfo=UTC), date(2026, 7, 2)),
        (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), date(2026, 3, 29)),  # the night the clock moves
    ],
)
def test_today_is_the_date_in_dordrecht(moment, dutch_date):
    assert today(moment) == dutch_date
    assert local_now(moment).utcoffset() is not None


def test_a_business_date_is_never_the_servers_utc_date_after_dutch_midnight():
    late = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert late.date() == date(2026, 12, 31)
    assert today(late) == date(2027, 1, 1)

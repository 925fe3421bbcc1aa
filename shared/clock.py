"""The programme's calendar.

Every business date (today, a start date, a judgement date, a follow-up's due date) is a date
in Dordrecht, on the Europe/Amsterdam calendar, whatever time zone the server runs in: between
23:00 and 24:00 UTC (22:00 in summer) the Dutch date is already the next day, and a coach who
enters "today" must not be told it lies in the future. Moments stay in UTC (`shared.db.utcnow`).

Code asks `clock.today()` through the module (``from shared import clock``), never a copy of
the function, so that one test can hold one date from its start to its end (tests/conftest.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def local_now(now: datetime | None = None) -> datetime:
    """The moment `now` (default: this moment) on the Dutch clock."""
    return (now or datetime.now(UTC)).astimezone(AMSTERDAM)


def today(now: datetime | None = None) -> date:
    """The Dutch calendar date of `now` (default: this moment)."""
    return local_now(now).date()

"""The custody log's monthly partitions on PostgreSQL (migration 0029 partitioned the table by
month of ``device_at``).

A month's partition must exist before its first event: without it the event lands in the DEFAULT
partition, which every query of that month then reads too. The scheduler makes the current month
and the next :data:`MONTHS_AHEAD` (``custody_events_add_month`` in the database moves anything
DEFAULT caught for them). Other databases keep one table and have nothing to do.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlalchemy.orm import Session

from core import clock

MONTHS_AHEAD = 3


def month_after(month: dt.date, months: int = 1) -> dt.date:
    """The first day of the month ``months`` after ``month``'s."""
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def add_months(session: Session) -> list[str]:
    """Make the custody log's partitions of this month (UTC, as stored) and the next
    :data:`MONTHS_AHEAD` that do not exist yet; returns their names."""
    if session.get_bind().dialect.name != "postgresql":
        return []
    first = clock.now().date().replace(day=1)
    made = []
    for ahead in range(MONTHS_AHEAD + 1):
        month = month_after(first, ahead)
        if session.scalar(text("SELECT custody_events_add_month(:month)"), {"month": month}):
            made.append(f"custody_events_{month:%Y_%m}")
    return made

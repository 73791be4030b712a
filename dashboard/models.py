"""The dashboard's rollups: its figures summed per local (Asia/Shanghai) day, and per calendar
month once a month is rolled up whole, so that a year reads a few thousand rows.

Every table is derived data: :mod:`dashboard.rollups` deletes and rebuilds any day's rows from
the source rows at will, so the tables carry plain ids and no foreign keys (a rollup never stands
in the way of an edit of what it counts). Durations are histograms over the ladder of
:func:`dashboard.sql_time.bucket`: one row per bucket that holds something.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base


class Rollup:
    """What every rollup row has: the day it sums, or the first day of the month it sums."""

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)
    #: A month's row (``day`` is its first day), summing the month's day rows.
    month: Mapped[bool] = mapped_column(default=False)


def by_day(table: str, *columns: str) -> tuple[Index]:
    """The index a period is read by: days (or months), then every column the figures sum, so
    that reading a year is a walk along the index alone."""
    return (Index(f"ix_{table}_month_day", "month", "day", *columns),)


class RideRollup(Rollup, Base):
    """Shuttle rides loaded on the day, per campus pair and ride-time bucket."""

    __tablename__ = "dashboard_rides"
    __table_args__ = by_day(
        __tablename__, "origin_campus_id", "destination_campus_id", "bucket", "rides"
    )

    origin_campus_id: Mapped[int]
    destination_campus_id: Mapped[int]
    bucket: Mapped[int]
    rides: Mapped[int]


class SlaRollup(Rollup, Base):
    """Consignments whose result became ready on the day, per department and handling-time
    bucket, and how many of them were on time."""

    __tablename__ = "dashboard_sla"
    __table_args__ = by_day(__tablename__, "department_id", "bucket", "handled", "on_time")

    department_id: Mapped[int]
    bucket: Mapped[int]
    handled: Mapped[int]
    on_time: Mapped[int]


class HallRollup(Rollup, Base):
    """Tickets of the day per queue and local hour of the start of waiting, with their waits and
    services summed."""

    __tablename__ = "dashboard_hall"
    __table_args__ = by_day(
        __tablename__,
        "category_id",
        "hour",
        "tickets",
        "waited",
        "wait_seconds",
        "served",
        "service_seconds",
    )

    category_id: Mapped[int]
    hour: Mapped[int]
    tickets: Mapped[int]
    waited: Mapped[int]
    wait_seconds: Mapped[int]
    served: Mapped[int]
    service_seconds: Mapped[int]


class RatingRollup(Rollup, Base):
    """Ratings summed per source: ``hall`` (tickets of the day, per window, queue's department
    and serving clerk) or ``agent`` (代办 ratings given on the day, per department and agent)."""

    __tablename__ = "dashboard_ratings"
    __table_args__ = by_day(
        __tablename__,
        "source",
        "window_id",
        "department_id",
        "user_id",
        "ratings",
        "level_sum",
        "satisfied",
    )

    source: Mapped[str] = mapped_column(String(8))
    window_id: Mapped[int | None]
    department_id: Mapped[int | None]
    user_id: Mapped[int | None]
    ratings: Mapped[int]
    level_sum: Mapped[int]
    satisfied: Mapped[int]


class FaultRollup(Rollup, Base):
    """Fault alerts raised on the day, per locker bank."""

    __tablename__ = "dashboard_faults"
    __table_args__ = by_day(__tablename__, "bank_id", "alerts")

    bank_id: Mapped[int]
    alerts: Mapped[int]


class RolledUp(Base):
    """The watermark: every day up to ``through`` is rolled up (one row, id 1)."""

    __tablename__ = "dashboard_rolled_up"

    id: Mapped[int] = mapped_column(primary_key=True)
    through: Mapped[dt.date | None] = mapped_column(Date)

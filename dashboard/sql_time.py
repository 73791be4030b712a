"""Time arithmetic inside SQL that SQLite and PostgreSQL both run and agree on to the second.

Aggregates (medians, sums of durations) are computed in the database; to give the same answer
on both databases and in Python, durations are whole seconds between instants truncated to the
second, and local hours and days come from the epoch with a fixed UTC+8 offset (Asia/Shanghai
has kept it without daylight saving since 1991).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, Date, case
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

#: Seconds east of UTC of Asia/Shanghai, all year.
LOCAL_OFFSET = 8 * 3600


class epoch_seconds(FunctionElement[int]):
    """Whole seconds since 1970-01-01 UTC of a naive-UTC timestamp column."""

    type = BigInteger()
    inherit_cache = True


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(epoch_seconds, "postgresql")
def _epoch_postgresql(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    # The columns are ``timestamp without time zone`` holding UTC: the epoch of the nominal
    # value is the UTC epoch, whatever the session's time zone.
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"


class local_date(FunctionElement[dt.date]):
    """The Shanghai calendar day at a naive-UTC timestamp column's instant."""

    type = Date()
    inherit_cache = True


@compiles(local_date, "sqlite")
def _local_date_sqlite(element: local_date, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, '+{LOCAL_OFFSET} seconds')"


@compiles(local_date, "postgresql")
def _local_date_postgresql(element: local_date, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"CAST({column} + INTERVAL '{LOCAL_OFFSET} seconds' AS DATE)"


def seconds_between(start: Any, end: Any) -> ColumnElement[int]:
    """Whole seconds from ``start`` to ``end`` (both timestamp columns)."""
    return epoch_seconds(end) - epoch_seconds(start)


def local_hour(column: Any) -> ColumnElement[int]:
    """The hour (0-23) of the Shanghai clock at a timestamp column's instant."""
    return ((epoch_seconds(column) + LOCAL_OFFSET) % 86400) // 3600


def python_seconds(start: dt.datetime, end: dt.datetime) -> int:
    """:func:`seconds_between` in Python, for checks against the database's answer."""
    return int(end.timestamp()) - int(start.timestamp())


def python_local_hour(at: dt.datetime) -> int:
    """:func:`local_hour` in Python."""
    return (int(at.timestamp()) + LOCAL_OFFSET) % 86400 // 3600


#: The histogram ladder of durations, as (below this many seconds, buckets this wide): whole
#: minutes up to 2 h (rides, short handling), 10 minutes up to 2 days (most handling times),
#: whole hours beyond. A ride of 20-90 minutes fills a few dozen buckets a day and a handling
#: time of days a few hundred, so a year of rollups is thousands of rows per leg or department
#: (not one per envelope), and a percentile is off by less than 1 % of its value past 100 min.
LADDER = ((2 * 3600, 60), (2 * 86400, 600))
#: The width of the buckets past the ladder's last step.
LAST_STEP = 3600


def bucket(seconds: Any) -> ColumnElement[int]:
    """The lower bound of the ladder's bucket holding ``seconds`` (an integer expression);
    negative values are bucketed like their absolute value, towards zero."""
    return case(
        *((seconds < below, seconds // step * step) for below, step in LADDER),
        else_=seconds // LAST_STEP * LAST_STEP,
    )


def python_bucket(seconds: int) -> int:
    """:func:`bucket` in Python (SQL's integer division truncates towards zero)."""
    step = next((step for below, step in LADDER if seconds < below), LAST_STEP)
    return abs(seconds) // step * step * (1 if seconds >= 0 else -1)

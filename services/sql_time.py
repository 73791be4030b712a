"""Time arithmetic inside SQL that SQLite and PostgreSQL both run and agree on to the second.

Aggregates (medians, sums of durations) are computed in the database; to give the same answer
on both databases and in Python, durations are whole seconds between instants truncated to the
second, and local hours and days come from the epoch with a fixed UTC+8 offset (Asia/Shanghai
has kept it without daylight saving since 1991).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, case, func
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


def nearest_rank(percent: int, count: ColumnElement[int]) -> ColumnElement[int]:
    """The 1-based rank of the ``percent`` percentile among ``count`` sorted values (the
    nearest-rank method: ceil(p·n/100)); the median is the lower middle of an even count."""
    return (count * percent + 99) // 100


def value_at_rank(value: Any, rank: Any, wanted: ColumnElement[int]) -> ColumnElement[Any]:
    """An aggregate: ``value`` of the row whose ``rank`` is ``wanted`` in each group."""
    return func.max(case((rank == wanted, value)))

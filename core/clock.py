"""The clock. Everything asks :func:`now` for the time, so tests can stand it still or move it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock:
    """The wall clock, in UTC."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FrozenClock(Clock):
    """A clock that stands still until it is moved; for tests and benchmarks."""

    def __init__(self, at: dt.datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._at = at

    def now(self) -> dt.datetime:
        return self._at

    def advance(self, delta: dt.timedelta) -> None:
        self._at += delta

    def set(self, at: dt.datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._at = at


_clock: Clock = Clock()


def now() -> dt.datetime:
    """The current time, aware, in UTC."""
    return _clock.now()


def local_now(tz: ZoneInfo = SHANGHAI) -> dt.datetime:
    """The current time in the campus time zone."""
    return _clock.now().astimezone(tz)


@contextmanager
def frozen(at: dt.datetime) -> Iterator[FrozenClock]:
    """Stop the clock at ``at`` for the duration of the block."""
    global _clock
    previous, _clock = _clock, FrozenClock(at)
    try:
        yield _clock  # type: ignore[misc]
    finally:
        _clock = previous

"""What display boards' event streams share in one process: a cap on how many are open and
one poll of the database for all of them.

A stream holds a server thread for its whole length, so without a cap anonymous reconnect loops
take every thread and ``/healthz`` waits; and 200 boards polling on their own would be 200
queries per poll. Here one stream at a time polls and wakes the others.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tickets.models import Call
from web.hall import call_json

#: Calls kept in memory; a board further behind reads the database itself once.
KEPT_CALLS = 200
BATCH = 50


class StreamGate:
    """Counts open streams per address and overall, refusing beyond the limits."""

    def __init__(self, per_address: int, overall: int) -> None:
        self.per_address = per_address
        self.overall = overall
        self._lock = threading.Lock()
        self._open: Counter[str] = Counter()

    def enter(self, address: str) -> str | None:
        """Admit one stream from ``address``: None, or why not (``address`` or ``full``)."""
        with self._lock:
            if self._open[address] >= self.per_address:
                return "address"
            if self._open.total() >= self.overall:
                return "full"
            self._open[address] += 1
            return None

    def leave(self, address: str) -> None:
        """Forget one stream of ``address`` (its answer was closed)."""
        with self._lock:
            self._open[address] -= 1
            if self._open[address] <= 0:
                del self._open[address]

    @property
    def open_streams(self) -> int:
        with self._lock:
            return self._open.total()


class CallFeed:
    """The latest calls, polled from the database by one waiting stream for all of them."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._polling = False
        self._polled_at = float("-inf")
        self._calls: deque[dict[str, Any]] = deque(maxlen=KEPT_CALLS)
        self._primed = False
        #: Calls above this id are all in memory (once primed).
        self._floor = 0

    def calls_after(
        self, sessions: Callable[[], Session], after: int, timeout: float, poll: float
    ) -> list[dict[str, Any]]:
        """Calls with an id above ``after`` (at most :data:`BATCH`), waiting up to ``timeout``
        seconds for one; ``poll`` is the least time between two reads of the database."""
        deadline = time.monotonic() + timeout
        polled = False
        while True:
            if not self._primed:
                calls = []
            elif after >= self._floor:
                calls = [c for c in self._calls if c["id"] > after][:BATCH]
            else:
                calls = _read(sessions, after)
                if calls:
                    return calls
                after = self._floor
            if calls:
                return calls
            # Poll at least once per wait, so that even a stream with no time left sees the
            # database; then wait for whichever stream polls next.
            if not polled and self._claim(poll):
                self._poll(sessions)
                polled = True
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            polled = False
            with self._changed:
                self._changed.wait(min(max(poll, 0.01), remaining))

    def _claim(self, poll: float) -> bool:
        with self._changed:
            if self._polling or time.monotonic() - self._polled_at < poll:
                return False
            self._polling = True
            return True

    def _poll(self, sessions: Callable[[], Session]) -> None:
        fresh: list[dict[str, Any]] | None = None
        try:
            if self._primed:
                fresh = _read(sessions, self._calls[-1]["id"] if self._calls else self._floor)
            else:
                with sessions() as session:
                    rows = session.scalars(select(Call).order_by(Call.id.desc()).limit(KEPT_CALLS))
                    fresh = [call_json(c) for c in reversed(list(rows))]
        finally:
            with self._changed:
                if fresh is not None:
                    self._calls.extend(fresh)
                    if len(self._calls) == KEPT_CALLS:
                        self._floor = self._calls[0]["id"] - 1
                    self._primed = True
                self._polling = False
                self._polled_at = time.monotonic()
                self._changed.notify_all()


def _read(sessions: Callable[[], Session], after: int) -> list[dict[str, Any]]:
    with sessions() as session:
        rows = session.scalars(select(Call).where(Call.id > after).order_by(Call.id).limit(BATCH))
        return [call_json(c) for c in rows]

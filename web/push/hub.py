"""The latest calls, read once per wake-up for every stream of the process."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tickets.models import Call
from web.hall import call_json

#: Calls kept in memory; a board further behind reads the database itself once.
KEPT_CALLS = 200
#: Most calls one read returns (a board far behind catches up in several).
BATCH = 50

CallJson = dict[str, Any]


class CallHub:
    """Follows the calls table by id and wakes the streams waiting on it.

    :meth:`wake` may be called as often as anyone likes: reads never overlap, and wakes that
    arrive during a read cost one more read, not one each.
    """

    def __init__(self, sessions: Callable[[], Session]) -> None:
        self._sessions = sessions
        self._calls: deque[CallJson] = deque(maxlen=KEPT_CALLS)
        #: Calls above this id are all in memory.
        self._floor = 0
        #: Done when calls were added; replaced by a fresh one for the next addition.
        self._changed: asyncio.Future[None] | None = None
        self._reading: asyncio.Task[None] | None = None
        self._again = False

    async def prime(self) -> None:
        """Read the latest calls before the first stream asks."""
        self._keep(await asyncio.to_thread(self._latest))

    def wake(self) -> None:
        """Read the calls committed since the last read, then wake the waiting streams.

        Call it on the hub's loop (``loop.call_soon_threadsafe(hub.wake)`` from elsewhere).
        """
        if self._reading is not None:
            self._again = True
            return
        self._reading = asyncio.get_running_loop().create_task(self._read_new())

    async def _read_new(self) -> None:
        try:
            while True:
                self._again = False
                last = self._calls[-1]["id"] if self._calls else self._floor
                fresh = await asyncio.to_thread(self._read, last)
                if fresh:
                    self._keep(fresh)
                    if self._changed is not None and not self._changed.done():
                        self._changed.set_result(None)
                if not self._again and len(fresh) < BATCH:
                    return
        finally:
            self._reading = None

    def _keep(self, calls: list[CallJson]) -> None:
        self._calls.extend(calls)
        if len(self._calls) == KEPT_CALLS:
            self._floor = self._calls[0]["id"] - 1

    def _next_change(self) -> asyncio.Future[None]:
        if self._changed is None or self._changed.done():
            self._changed = asyncio.get_running_loop().create_future()
        return self._changed

    async def calls_after(self, after: int, timeout: float) -> list[CallJson]:
        """Calls with an id above ``after`` (at most :data:`BATCH`), waiting up to ``timeout``
        seconds for one; none when the time is up."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            changed = self._next_change()
            if after < self._floor:
                behind = await asyncio.to_thread(self._read, after)
                if behind:
                    return behind
                after = self._floor
            calls = [c for c in self._calls if c["id"] > after][:BATCH]
            if calls:
                return calls
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            try:
                # Shielded: one stream's timeout must not cancel what the others wait for.
                await asyncio.wait_for(asyncio.shield(changed), remaining)
            except TimeoutError:
                return []

    def _latest(self) -> list[CallJson]:
        with self._sessions() as session:
            rows = session.scalars(select(Call).order_by(Call.id.desc()).limit(KEPT_CALLS))
            return [call_json(c) for c in reversed(list(rows))]

    def _read(self, after: int) -> list[CallJson]:
        with self._sessions() as session:
            rows = session.scalars(
                select(Call).where(Call.id > after).order_by(Call.id).limit(BATCH)
            )
            return [call_json(c) for c in rows]

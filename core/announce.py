"""Announcing committed rows to whoever follows them: other processes through PostgreSQL's
``NOTIFY``, this process through a callback after the commit.

A follower re-reads the rows itself (``id > last``), so an announcement carries no payload and
two of them cost one read; it only says "look now" instead of "look every so often".
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db import after_commit

#: The channel of calls to hall windows, followed by the display boards' push server.
HALL_CALLS = "hall_calls"

_lock = threading.Lock()
_here: defaultdict[str, list[Callable[[], None]]] = defaultdict(list)


def announce(session: Session, channel: str) -> None:
    """Say on ``channel`` that this transaction wrote rows its followers read, once it commits.

    PostgreSQL delivers a ``NOTIFY`` only at commit and drops it on rollback, like the
    in-process callback.
    """
    tell = _Tell(channel)
    if tell in session.info.get("after_commit", ()):
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_notify(channel, "")))
    after_commit(session, tell)


@dataclass(frozen=True)
class _Tell:
    """The after-commit callback of one channel; equal per channel, so a transaction that
    announces twice tells once."""

    channel: str

    def __call__(self) -> None:
        with _lock:
            callbacks = list(_here[self.channel])
        for callback in callbacks:
            callback()


def listen_here(channel: str, callback: Callable[[], None]) -> Callable[[], None]:
    """Call ``callback`` after each commit in this process that announced on ``channel``;
    returns what stops it. The callback runs in the committing thread and must be quick."""
    with _lock:
        _here[channel].append(callback)

    def stop() -> None:
        with _lock:
            _here[channel].remove(callback)

    return stop

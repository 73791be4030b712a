"""What wakes the hub: a commit announced in this process, PostgreSQL's ``NOTIFY`` from any
process, and a slow poll for what neither reaches."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import psycopg
from sqlalchemy import make_url

from core.announce import HALL_CALLS, listen_here
from web.push.hub import CallHub

log = logging.getLogger(__name__)

#: Seconds between polls when PostgreSQL notifies: only a safety net.
NOTIFIED_POLL_SECONDS = 10.0
#: Seconds between polls on SQLite, where a call committed by another process is seen so.
POLL_SECONDS = 1.0
#: Longest wait before listening again after the database connection was lost.
MOST_RETRY_SECONDS = 5.0


def wake_on_local_commits(hub: CallHub) -> Callable[[], None]:
    """Wake ``hub`` after each call committed in this process; returns what stops it."""
    loop = asyncio.get_running_loop()

    def wake() -> None:
        if not loop.is_closed():
            loop.call_soon_threadsafe(hub.wake)

    return listen_here(HALL_CALLS, wake)


async def poll(hub: CallHub, seconds: float) -> None:
    """Wake ``hub`` every ``seconds`` until cancelled."""
    while True:
        await asyncio.sleep(seconds)
        hub.wake()


def libpq_url(database_url: str) -> str:
    """The libpq form of a SQLAlchemy ``postgresql+psycopg://`` address."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(False)


async def listen_postgres(hub: CallHub, database_url: str) -> None:
    """Wake ``hub`` on every ``NOTIFY`` of the calls channel, until cancelled.

    A lost connection is opened again; calls committed while nobody listened are read at once.
    """
    retry = 0.1
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(
                libpq_url(database_url), autocommit=True
            ) as connection:
                await connection.execute(f"LISTEN {HALL_CALLS}")
                retry = 0.1
                hub.wake()
                async for _ in connection.notifies():
                    hub.wake()
        except psycopg.OperationalError as error:
            log.warning("push: listening for calls failed (%s); again in %.1f s", error, retry)
            await asyncio.sleep(retry)
            retry = min(retry * 2, MOST_RETRY_SECONDS)

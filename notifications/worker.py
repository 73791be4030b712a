"""A dispatcher with its own senders, run in a thread or as the whole process."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from core.config import Settings
from notifications.dispatcher import Dispatcher
from notifications.senders import senders_for


@contextmanager
def dispatcher_for(sessions: Callable[[], Session], settings: Settings) -> Iterator[Dispatcher]:
    """A dispatcher configured by ``settings``; its senders close afterwards."""
    notices = settings.notices
    dispatcher = Dispatcher(
        sessions,
        senders_for(sessions, settings),
        max_tries=notices.max_tries,
        # A lease shorter than a provider call would let another dispatcher ask the provider
        # while the call may still land, and send the notice again.
        lease=dt.timedelta(seconds=max(notices.lease, 2 * notices.timeout)),
    )
    try:
        yield dispatcher
    finally:
        dispatcher.close()


@contextmanager
def dispatcher_thread(
    sessions: Callable[[], Session], settings: Settings, idle: float = 1.0
) -> Iterator[Dispatcher]:
    """Run a dispatcher in a background thread for as long as the block runs."""
    stop = threading.Event()
    with dispatcher_for(sessions, settings) as dispatcher:
        thread = threading.Thread(
            target=dispatcher.run_forever, args=(stop, idle), name="notice-dispatcher", daemon=True
        )
        thread.start()
        try:
            yield dispatcher
        finally:
            stop.set()
            dispatcher.wake()
            thread.join(timeout=30)

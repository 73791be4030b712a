"""A dispatcher with its own engine and senders, run in a thread or as the whole process."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from core.config import Settings
from core.db import make_engine, make_session_factory
from notifications.dispatcher import Dispatcher
from notifications.senders import senders_for


@contextmanager
def dispatcher_for(settings: Settings) -> Iterator[Dispatcher]:
    """A dispatcher configured by ``settings``; its engine and senders close afterwards."""
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    dispatcher = Dispatcher(
        sessions, senders_for(sessions, settings), max_tries=settings.notices.max_tries
    )
    try:
        yield dispatcher
    finally:
        dispatcher.close()
        engine.dispose()


@contextmanager
def dispatcher_thread(settings: Settings, idle: float = 1.0) -> Iterator[Dispatcher]:
    """Run a dispatcher in a background thread for as long as the block runs."""
    stop = threading.Event()
    with dispatcher_for(settings) as dispatcher:
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

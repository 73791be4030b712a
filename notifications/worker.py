"""A dispatcher with its own engine and senders, run in a thread or as the whole process."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from core.db import make_engine, make_session_factory
from notifications.dispatcher import Dispatcher, max_tries_from_env
from notifications.senders import senders_from_env


@contextmanager
def dispatcher_for(database_url: str) -> Iterator[Dispatcher]:
    """A dispatcher configured from the environment; its engine and senders close afterwards."""
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    dispatcher = Dispatcher(sessions, senders_from_env(sessions), max_tries=max_tries_from_env())
    try:
        yield dispatcher
    finally:
        dispatcher.close()
        engine.dispose()


@contextmanager
def dispatcher_thread(database_url: str, idle: float = 1.0) -> Iterator[Dispatcher]:
    """Run a dispatcher in a background thread for as long as the block runs."""
    stop = threading.Event()
    with dispatcher_for(database_url) as dispatcher:
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

"""A dispatcher with its own senders, run in a thread or as the whole process."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from notifications.dispatcher import Dispatcher, max_tries_from_env
from notifications.senders import senders_from_env


@contextmanager
def dispatcher_for(sessions: Callable[[], Session]) -> Iterator[Dispatcher]:
    """A dispatcher configured from the environment; its senders close afterwards."""
    dispatcher = Dispatcher(sessions, senders_from_env(sessions), max_tries=max_tries_from_env())
    try:
        yield dispatcher
    finally:
        dispatcher.close()


@contextmanager
def dispatcher_thread(sessions: Callable[[], Session], idle: float = 1.0) -> Iterator[Dispatcher]:
    """Run a dispatcher in a background thread for as long as the block runs."""
    stop = threading.Event()
    with dispatcher_for(sessions) as dispatcher:
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

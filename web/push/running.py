"""Running the push server: on its own (``courier push``) or on a thread beside the web server
(``courier run``, tests)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any

from aiohttp import web
from sqlalchemy.orm import Session

from core.config import Settings
from web.push.server import create_push_app


def serve(settings: Settings) -> None:
    """Serve the push server on ``settings.host``:``settings.push_port`` until SIGINT/SIGTERM."""
    web.run_app(
        create_push_app(settings),
        host=settings.host,
        port=settings.push_port,
        handler_cancellation=True,
        access_log=None,
        print=None,
    )


@contextmanager
def push_thread(
    settings: Settings,
    sessions: Callable[[], Session] | None = None,
    *,
    port: int | None = None,
    **options: Any,
) -> Iterator[int]:
    """The push server on a thread of its own for the block; yields the port it listens on
    (``port`` 0 picks a free one; ``options`` go to :func:`create_push_app`)."""
    loop = asyncio.new_event_loop()
    app = create_push_app(settings, sessions, **options)
    runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
    started: Future[int] = Future()

    async def start() -> int:
        await runner.setup()
        wanted = settings.push_port if port is None else port
        await web.TCPSite(runner, settings.host, wanted, reuse_address=True).start()
        return int(runner.addresses[0][1])

    def run() -> None:
        # Everything of the loop happens on this thread: the caller's may run a loop of its own.
        asyncio.set_event_loop(loop)
        try:
            started.set_result(loop.run_until_complete(start()))
        except BaseException as error:  # handed to the caller, who raises it
            started.set_exception(error)
            return
        loop.run_forever()

    thread = threading.Thread(target=run, name="push", daemon=True)
    thread.start()
    try:
        bound = started.result(timeout=60)
    except BaseException:
        thread.join(10)
        loop.close()
        raise
    try:
        yield bound
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()

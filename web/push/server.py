"""The push server's HTTP face: each hall's display stream as Server-Sent Events.

A stream is a coroutine waiting on the :class:`~web.push.hub.CallHub`, so an idle board costs a
socket and a little memory, not a thread; streams may therefore last minutes, and a call reaches
every board as soon as the hub has read it once.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from sqlalchemy.orm import Session
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from core.config import Settings
from core.db import make_engine, make_session_factory
from core.errors import N_, DomainError
from core.throttle import STREAM_OPENS, Throttle, TooManyAttempts
from tickets.queue import hall_by_code
from web.i18n import accepted_language, translations
from web.push.gate import StreamGate
from web.push.hub import CallHub
from web.push.wakeups import (
    NOTIFIED_POLL_SECONDS,
    POLL_SECONDS,
    listen_postgres,
    poll,
    wake_on_local_commits,
)

#: How long one stream lasts before the board reconnects (with Last-Event-ID, missing nothing).
STREAM_SECONDS = 300.0
#: Longest silence on a stream: a comment line then finds a board that left and keeps proxies
#: from cutting an idle stream.
KEEPALIVE_SECONDS = 15.0
#: Seconds a refused board waits before asking again.
STREAM_RETRY_SECONDS = 30
#: How long a hall's code is taken to name the same hall.
HALL_CACHE_SECONDS = 60.0

TOO_MANY_STREAMS = N_("This address has too many display boards open. Close one first.")
STREAMS_FULL = N_("The hall's display service is full; the board retries by itself.")

#: Boards may be served from another port of the site's host, so any page may read the stream
#: (it is public, and no credentials go with it).
OPEN_TO_PAGES = {"Access-Control-Allow-Origin": "*", "X-Content-Type-Options": "nosniff"}


@dataclass
class Push:
    """What the streams of one push server share."""

    settings: Settings
    sessions: Callable[[], Session]
    hub: CallHub
    gate: StreamGate
    throttle: Throttle
    stream_seconds: float
    keepalive_seconds: float
    halls: dict[str, tuple[int, float]] = field(default_factory=dict)


PUSH = web.AppKey("push", Push)


def create_push_app(
    settings: Settings,
    sessions: Callable[[], Session] | None = None,
    *,
    stream_seconds: float = STREAM_SECONDS,
    keepalive_seconds: float = KEEPALIVE_SECONDS,
    poll_seconds: float | None = None,
) -> web.Application:
    """The push server for ``settings``; ``sessions`` reads the database (an engine of its own
    when not given). ``poll_seconds`` is the safety-net poll (by default
    :data:`~web.push.wakeups.POLL_SECONDS`, or on PostgreSQL, which notifies,
    :data:`~web.push.wakeups.NOTIFIED_POLL_SECONDS`)."""
    app = web.Application()
    engine = None
    if sessions is None:
        engine = make_engine(settings.database_url)
        sessions = make_session_factory(engine)
    app[PUSH] = Push(
        settings=settings,
        sessions=sessions,
        hub=CallHub(sessions),
        gate=StreamGate(settings.max_streams_per_address, settings.max_streams),
        throttle=Throttle(settings.throttle_storage_uri),
        stream_seconds=stream_seconds,
        keepalive_seconds=keepalive_seconds,
    )
    app.router.add_get("/hall/display/stream", stream)
    app.router.add_get("/hall/{hall_code}/display/stream", stream)
    app.router.add_get("/healthz", healthz)

    async def running(app: web.Application) -> AsyncIterator[None]:
        push = app[PUSH]
        await push.hub.prime()
        stop_local = wake_on_local_commits(push.hub)
        postgres = settings.database_url.startswith("postgresql")
        every = poll_seconds or (NOTIFIED_POLL_SECONDS if postgres else POLL_SECONDS)
        tasks = [asyncio.create_task(poll(push.hub, every))]
        if postgres:
            tasks.append(asyncio.create_task(listen_postgres(push.hub, settings.database_url)))
        yield
        stop_local()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with suppress(asyncio.CancelledError):
                await task
        if engine is not None:
            engine.dispose()

    app.cleanup_ctx.append(running)
    return app


async def healthz(request: web.Request) -> web.Response:
    """Alive, with how many streams are open."""
    return web.json_response({"ok": True, "streams": request.app[PUSH].gate.open_streams})


async def stream(request: web.Request) -> web.StreamResponse:
    """New calls of the hall (``event: call``, ``id`` the call's id); other halls' calls are
    skipped. ``Last-Event-ID`` (or ``?after=``) is the last call the board has shown.

    Streams are capped per address and overall and new ones are throttled per address: beyond,
    the answer is 429 or 503 with ``Retry-After``.
    """
    push = request.app[PUSH]
    address = client_address(request, push.settings.proxy_hops)
    try:
        push.throttle.take(STREAM_OPENS, address)
    except TooManyAttempts as error:
        return _refusal(
            request, 429, "too_many_attempts", error.message, error.retry_after, **error.params
        )
    try:
        hall_id = await _hall_id(push, request.match_info.get("hall_code"))
    except DomainError as error:
        return _error(request, error.status, error.code, error.message, **error.params)
    refused = push.gate.enter(address)
    if refused == "address":
        return _refusal(request, 429, "too_many_streams", TOO_MANY_STREAMS, STREAM_RETRY_SECONDS)
    if refused == "full":
        return _refusal(request, 503, "streams_full", STREAMS_FULL, STREAM_RETRY_SECONDS)
    try:
        return await _send_calls(request, push, hall_id, _last_event_id(request))
    finally:
        push.gate.leave(address)


async def _send_calls(
    request: web.Request, push: Push, hall_id: int, after: int
) -> web.StreamResponse:
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
            **OPEN_TO_PAGES,
        }
    )
    await response.prepare(request)
    await response.write(b"retry: 500\n\n")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + push.stream_seconds
    last = after
    # A board that left is found at the next write, which then fails.
    with suppress(ConnectionResetError):
        while (remaining := deadline - loop.time()) > 0:
            calls = await push.hub.calls_after(last, min(remaining, push.keepalive_seconds))
            chunk = "".join(
                f"id: {call['id']}\nevent: call\ndata: {json.dumps(call)}\n\n"
                for call in calls
                if call["hall"] == hall_id
            )
            if calls:
                last = calls[-1]["id"]
            await response.write(chunk.encode() if chunk else b":\n\n")
    return response


async def _hall_id(push: Push, code: str | None) -> int:
    key = (code or "").strip().upper()
    cached = push.halls.get(key)
    if cached is not None and time.monotonic() - cached[1] < HALL_CACHE_SECONDS:
        return cached[0]

    def read() -> int:
        with push.sessions() as session:
            return hall_by_code(session, code).id

    hall_id = await asyncio.to_thread(read)
    push.halls[key] = (hall_id, time.monotonic())
    return hall_id


def _last_event_id(request: web.Request) -> int:
    for value in (request.headers.get("Last-Event-ID", ""), request.query.get("after", "")):
        if value.isdigit():
            return int(value)
    return 0


def client_address(request: web.Request, proxy_hops: int) -> str:
    """The caller's address: the one ``proxy_hops`` trusted proxies saw (as Werkzeug's
    ProxyFix reads ``X-Forwarded-For``), else the peer's."""
    if proxy_hops:
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",")]
        if len(forwarded) >= proxy_hops and forwarded[-proxy_hops]:
            return forwarded[-proxy_hops]
    return request.remote or "unknown"


def _language(request: web.Request, default: str) -> str:
    accept = parse_accept_header(request.headers.get("Accept-Language"), LanguageAccept)
    return accepted_language(accept) or default


def _error(
    request: web.Request, status: int, code: str, message: str, **params: Any
) -> web.Response:
    settings = request.app[PUSH].settings
    text = translations(_language(request, settings.language)).gettext(message)
    return web.json_response(
        {"error": {"code": code, "message": text % params if params else text}},
        status=status,
        headers=OPEN_TO_PAGES,
    )


def _refusal(
    request: web.Request, status: int, code: str, message: str, retry_after: int, **params: Any
) -> web.Response:
    response = _error(request, status, code, message, **params)
    response.headers["Retry-After"] = str(retry_after)
    return response

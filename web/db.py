"""The request owns the transaction: one session per request, committed once at its end.

A request that ends in a refusal commits nothing, whatever it answers (an error, a redirect
with a message, the form again): domain functions may have flushed part of a change before
refusing, and a view should not have to remember to roll it back.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, g, request
from sqlalchemy.orm import Session

from core.db import commit, for_writing
from core.errors import watch_refusals

#: Methods that only read; other requests' transactions are declared writers.
READING = frozenset({"GET", "HEAD", "OPTIONS"})


class CourierFlask(Flask):
    """Flask that notes every domain refusal built while a request is dispatched."""

    def full_dispatch_request(self) -> Response:
        with watch_refusals() as refusals:
            g.refusals = refusals
            return super().full_dispatch_request()


def db() -> Session:
    """The session of the current request, opened on first use."""
    if "db" not in g:
        session = current_app.extensions["courier_sessions"]()
        # A bearer token's use is recorded now and then, so token requests may write too.
        reading = request.method in READING and "Authorization" not in request.headers
        g.db = session if reading else for_writing(session)
    return g.db  # type: ignore[no-any-return]


def refused() -> bool:
    """Whether the current request met a domain refusal (caught or not)."""
    return bool(g.get("refusals"))


def init_db(app: Flask) -> None:
    @app.after_request
    def _commit(response: Response) -> Response:
        session: Session | None = g.pop("db", None)
        if session is None:
            return response
        try:
            # Commit failures surface as a 500, not a silent success.
            if response.status_code < 400 and not refused():
                commit(session)
            else:
                session.rollback()
        finally:
            session.close()
        return response

    @app.teardown_request
    def _close(_exc: BaseException | None) -> None:
        session: Session | None = g.pop("db", None)
        if session is not None:
            session.rollback()
            session.close()

"""The request owns the transaction: one session per request, committed once at its end."""

from __future__ import annotations

from flask import Flask, Response, current_app, g, request
from sqlalchemy.orm import Session

from core.db import for_writing

#: Methods that only read; other requests' transactions are declared writers.
READING = frozenset({"GET", "HEAD", "OPTIONS"})


def db() -> Session:
    """The session of the current request, opened on first use."""
    if "db" not in g:
        session = current_app.extensions["courier_sessions"]()
        # A bearer token's use is recorded now and then, so token requests may write too.
        reading = request.method in READING and "Authorization" not in request.headers
        g.db = session if reading else for_writing(session)
    return g.db  # type: ignore[no-any-return]


def init_db(app: Flask) -> None:
    @app.after_request
    def _commit(response: Response) -> Response:
        session: Session | None = g.pop("db", None)
        if session is None:
            return response
        try:
            # A refused request changes nothing: domain functions may have flushed part of a
            # change before refusing. Commit failures surface as a 500, not a silent success.
            if response.status_code < 400:
                session.commit()
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

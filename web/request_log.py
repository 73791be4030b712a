"""One log line per request: method, path, status, duration and who asked.

The query string stays out of the line: it may carry codes and search terms nobody needs in a log.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request
from sqlalchemy import inspect

log = logging.getLogger(__name__)


def _user_id() -> str:
    user = g.get("user")
    if user is None:
        return "-"
    # By now the request's session may have rolled back and closed: the identity survives that,
    # a loaded attribute would not.
    identity = inspect(user).identity
    return str(identity[0]) if identity else "-"


def init_request_log(app: Flask) -> None:
    """Log each request once its response is final. Call it before ``init_db`` and ``init_auth``:
    hooks run in that order before a request and in reverse after it, so the duration covers
    theirs and the status logged is the one sent, after the commit."""

    @app.before_request
    def _start() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def _log(response: Response) -> Response:
        started = g.get("request_started")
        duration = (time.perf_counter() - started) * 1000 if started is not None else 0.0
        log.info(
            "%s %s %s %.1f ms user=%s",
            request.method,
            request.path,
            response.status_code,
            duration,
            _user_id(),
        )
        return response

"""A live server for the suites that drive the app over HTTP (browsers, schemathesis)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from waitress.server import create_server


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """``app`` on a free local port for the block, on waitress as ``courier run`` serves it;
    yields its address.

    Not Werkzeug's development server: when a browser drops a request mid-answer (a favicon
    cancelled by a navigation), it leaves the answer's file open, and the warning of that file's
    collection fails whichever test runs then.
    """
    server = create_server(app, host="127.0.0.1", port=0, threads=16)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.task_dispatcher.shutdown(timeout=10)
        server.close()
        thread.join(10)
        app.extensions["courier_sessions"].dispose()

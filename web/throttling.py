"""The app's throttle and the requests' keys for it."""

from __future__ import annotations

from flask import Flask, current_app, g, request

from core.config import Settings
from core.throttle import TICKETS, Throttle


def init_throttle(app: Flask, settings: Settings) -> None:
    """Give ``app`` its throttle (counters in ``settings.throttle_storage_uri``)."""
    app.extensions["courier_throttle"] = Throttle(settings.throttle_storage_uri)


def throttle() -> Throttle:
    """This app's throttle."""
    throttle: Throttle = current_app.extensions["courier_throttle"]
    return throttle


def limit_anonymous_tickets() -> None:
    """Count a ticket taken without logging in against the caller's address; raises
    :class:`core.throttle.TooManyAttempts` (answered 429) when its allowance is used up."""
    if g.get("user") is None:
        throttle().take(TICKETS, client_address())


def client_address() -> str:
    """The caller's address (the proxy's client when ``COURIER_PROXY_HOPS`` says to trust it)."""
    return request.remote_addr or "unknown"

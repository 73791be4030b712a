"""The app's throttle and the requests' keys for it."""

from __future__ import annotations

from flask import Flask, current_app, request

from core.config import Settings
from core.throttle import Throttle


def init_throttle(app: Flask, settings: Settings) -> None:
    """Give ``app`` the throttle whose counters live in ``settings.throttle_storage_uri``."""
    app.extensions["courier_throttle"] = Throttle(settings.throttle_storage_uri)


def throttle() -> Throttle:
    """This app's throttle."""
    throttle: Throttle = current_app.extensions["courier_throttle"]
    return throttle


def client_address() -> str:
    """The caller's address (the proxy's client when ``COURIER_PROXY_HOPS`` says to trust it)."""
    return request.remote_addr or "unknown"

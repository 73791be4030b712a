"""Answers that keep other sites out: same-site redirects, security headers, the proxy hops."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from flask import Flask, Response
from werkzeug.middleware.proxy_fix import ProxyFix

from core.config import Settings
from web.params import push_origin

#: No inline script or style and no framing: every script lives under web/static.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HSTS = "max-age=31536000; includeSubDomains"


def safe_redirect_target(target: str | None, fallback: str) -> str:
    """``target`` when it is a path on this site, else ``fallback``.

    Browsers drop tabs and newlines and read ``\\`` as ``/``, so ``/\\t/evil.example`` would
    become ``//evil.example``: any control character, space or backslash refuses the target.
    """
    if not target or any(ch <= " " or ch in "\\\x7f" for ch in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


def init_security(app: Flask, settings: Settings) -> None:
    """Add the security headers to every answer and trust ``settings.proxy_hops`` proxies."""
    if settings.proxy_hops:
        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )

    # One-time keys for forms that create something: a double submit makes one.
    app.jinja_env.globals["new_form_key"] = lambda: uuid.uuid4().hex

    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        # Display boards read their stream from the push server, on another port without a proxy.
        push = push_origin()
        policy = CONTENT_SECURITY_POLICY.replace("connect-src 'self'", f"connect-src 'self' {push}")
        headers.setdefault("Content-Security-Policy", policy if push else CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        if settings.production:
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response

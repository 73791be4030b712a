"""What makes the courier's pages an installable app that opens offline: the service worker,
the web app manifest and its icons. None of it is private, so none of it asks for a login."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, request, url_for
from flask_babel import force_locale, gettext

from core.config import LANGUAGES
from web.app_icons import ICON_SIZES, app_icon
from web.auth import public
from web.i18n import current_language

courier_app = Blueprint("courier_app", __name__, url_prefix="/courier")

#: The scopes the service worker is registered for: the scan page and the departure checklists.
#: Its script lives under /courier/, so reaching /network/manifests/ needs the wider allowance.
WORKER_ALLOWED = "/"


@courier_app.get("/sw.js")
@public
def service_worker() -> Any:
    """The service worker, never taken from the HTTP cache, so a fixed one reaches phones."""
    script = Path(current_app.static_folder or "", "courier-sw.js").read_bytes()
    answer = current_app.response_class(script, mimetype="text/javascript")
    answer.headers["Service-Worker-Allowed"] = WORKER_ALLOWED
    answer.headers["Cache-Control"] = "no-cache"
    return answer


@courier_app.get("/app.webmanifest")
@public
def web_manifest() -> Any:
    """The manifest that lets a courier add the scan page to the home screen, in the language
    of the page that links it (browsers fetch manifests without the session cookie)."""
    asked = request.args.get("lang")
    language = asked if asked in LANGUAGES else current_language()
    with force_locale(language):
        body = {
            "name": gettext("Campus Courier scanner"),
            "short_name": gettext("Scan"),
            "description": gettext("Scan labels, even with no network: scans wait on the phone."),
            "lang": "zh-CN" if language == "zh_CN" else "en",
            "id": url_for("courier.scan_page"),
            "start_url": url_for("courier.scan_page"),
            "scope": "/",
            "display": "standalone",
            "orientation": "portrait",
            "background_color": "#f5f7f9",
            "theme_color": "#0b6e4f",
            "icons": [
                {
                    "src": url_for("courier_app.icon", size=size),
                    "sizes": f"{size}x{size}",
                    "type": "image/png",
                    "purpose": purpose,
                }
                for size in ICON_SIZES
                for purpose in ("any", "maskable")
            ],
        }
    answer = jsonify(body)
    answer.mimetype = "application/manifest+json"
    return answer


@courier_app.get("/icons/<int:size>.png")
@public
def icon(size: int) -> Any:
    if size not in ICON_SIZES:
        abort(404)
    answer = current_app.response_class(app_icon(size), mimetype="image/png")
    answer.headers["Cache-Control"] = "public, max-age=86400"
    return answer

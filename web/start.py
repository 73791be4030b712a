"""Where administrators start: shared by the login redirect and each role's home page."""

from __future__ import annotations

from flask import current_app, url_for


def admin_home() -> str:
    """The administrators' dashboard at /admin when this build has one, else the catalog."""
    adapter = current_app.url_map.bind("")
    if any(adapter.test(path, method="GET") for path in ("/admin", "/admin/")):
        return "/admin"
    return url_for("admin_catalog.index")

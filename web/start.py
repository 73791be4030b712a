"""Where administrators start: shared by the login redirect and each role's home page."""

from __future__ import annotations

from flask import url_for


def admin_home() -> str:
    """The administrators' dashboard."""
    return url_for("dashboard.index")

"""The hall manager's pages: statistics with charts and CSV (poor ratings are followed up in
``web.views.feedback``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext

from core.users import Role
from tickets import queue, stats
from web.auth import roles_required
from web.db import db

hall_admin = Blueprint("tickets_admin", __name__, url_prefix="/admin/hall")


def _days() -> tuple[dt.date, dt.date]:
    def day(name: str, default: dt.date) -> dt.date:
        try:
            return dt.date.fromisoformat(request.args.get(name, ""))
        except ValueError:
            return default

    last = day("to", queue.today())
    first = day("from", last - dt.timedelta(days=6))
    return (first, last) if first <= last else (last, first)


def bars(groups: list[stats.Group], value: str) -> dict[str, Any]:
    """A horizontal bar chart's geometry for the template's SVG (drawn on the server)."""
    values = [(g.key, getattr(g, value)) for g in groups]
    top = max((v for _k, v in values if v is not None), default=0) or 1
    return {
        "rows": [
            {"key": k, "value": v, "width": round(300 * (v or 0) / top, 1), "y": 24 * i}
            for i, (k, v) in enumerate(values)
        ],
        "height": 24 * len(values) + 4,
    }


@hall_admin.get("/stats")
@roles_required(Role.ADMIN)
def stats_page() -> str:
    first, last = _days()
    result = stats.report(db(), first, last)
    return render_template(
        "tickets/stats.html",
        report=result,
        charts=[
            (gettext("Mean wait by hour (minutes)"), bars(result.by_hour, "mean_wait")),
            (gettext("Tickets by hour"), bars(result.by_hour, "tickets")),
            (
                gettext("Mean service by window (minutes)"),
                bars(result.by_window, "mean_service"),
            ),
            (gettext("Mean wait by queue (minutes)"), bars(result.by_category, "mean_wait")),
        ],
    )


@hall_admin.get("/stats.csv")
@roles_required(Role.ADMIN)
def stats_csv() -> Response:
    first, last = _days()
    return Response(
        stats.to_csv(stats.report(db(), first, last)),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=hall-{first}-{last}.csv"},
    )

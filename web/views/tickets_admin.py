"""The hall manager's pages: statistics with charts and CSV, and the poor ratings to follow up."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from core.errors import DomainError
from core.users import Role
from tickets import queue, ratings, stats
from tickets.models import Rating
from web.auth import current_user, roles_required
from web.db import db
from web.formatting import translate

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


@hall_admin.get("/follow-ups")
@roles_required(Role.ADMIN)
def follow_ups() -> str:
    return render_template(
        "tickets/follow_ups.html",
        ratings=ratings.follow_ups(db()),
        levels=ratings.LEVELS,
        reasons=ratings.REASONS,
    )


@hall_admin.post("/follow-ups/<int:ticket_id>")
@roles_required(Role.ADMIN)
def follow_up(ticket_id: int) -> Any:
    rating = db().get(Rating, ticket_id)
    manager = current_user()
    assert manager is not None
    if rating is not None:
        try:
            ratings.follow_up(db(), rating, manager, request.form.get("note", ""))
        except DomainError as error:
            flash(translate(error.message, error.params), "error")
        else:
            flash(gettext("Marked as followed up."), "success")
    return redirect(url_for("tickets_admin.follow_ups"))

"""The administrator's dashboard: charts with their tables and CSV downloads, over a period."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, abort, render_template, request

from core.users import Role
from dashboard.figures import Period
from web.auth import roles_required
from web.dashboard_charts import CHARTS, WIDTHS, charts_of, render
from web.dashboard_tables import TABLES, to_csv
from web.db import db

dashboard = Blueprint("dashboard", __name__, url_prefix="/admin/dashboard")

#: The period shown when the page is opened without one: the last 30 days, today included.
DEFAULT_DAYS = 30
#: The chart images style themselves with an SVG <style> and carry no script.
CHART_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


def _period() -> Period:
    """The period of the request's ``from`` and ``to`` dates (either order), by default the
    last :data:`DEFAULT_DAYS` days."""
    default = Period.last_days(DEFAULT_DAYS)

    def day(name: str, fallback: dt.date) -> dt.date:
        try:
            return dt.date.fromisoformat(request.args.get(name, ""))
        except ValueError:
            return fallback

    first, last = day("from", default.first), day("to", default.last)
    return Period(first, last) if first <= last else Period(last, first)


@dashboard.get("/")
@roles_required(Role.ADMIN)
def index() -> str:
    period = _period()
    return render_template(
        "admin/dashboard.html",
        period=period,
        dates={"from": period.first.isoformat(), "to": period.last.isoformat()},
        tables=[build(db(), period) for build in TABLES.values()],
        charts_of=charts_of,
        charts=CHARTS,
    )


@dashboard.get("/charts/<name>.svg")
@roles_required(Role.ADMIN)
def chart(name: str) -> Response:
    if name not in CHARTS:
        abort(404)
    fit = request.args.get("fit", "desk")
    if fit not in WIDTHS:
        abort(404)
    table = TABLES[CHARTS[name].table](db(), _period())
    return Response(
        render(name, table, fit),
        mimetype="image/svg+xml",
        headers={"Content-Security-Policy": CHART_POLICY},
    )


@dashboard.get("/<name>.csv")
@roles_required(Role.ADMIN)
def csv(name: str) -> Response:
    if name not in TABLES:
        abort(404)
    period = _period()
    return Response(
        to_csv(TABLES[name](db(), period)),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f"attachment; filename={name}-{period.first}-{period.last}.csv"
        },
    )

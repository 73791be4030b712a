"""The start page, the language switch and the health checks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import func, select, text

from catalog.models import Department, ItemStatus, ServiceItem
from core import clock
from core.config import LANGUAGES
from core.users import Role
from courier.consignments import consignments_of
from courier.states import State
from services.health import readiness
from services.pickups import waiting_for
from tickets.queue import window_of
from web.auth import current_user, login_required, public
from web.db import db
from web.next_steps import CLOSED, next_step
from web.runs import runs_on
from web.security import safe_redirect_target
from web.start import admin_home

home = Blueprint("home", __name__)


@home.get("/")
@public
def index() -> str:
    departments = (
        db()
        .execute(
            select(Department, func.count(ServiceItem.id))
            .join(ServiceItem, ServiceItem.department_id == Department.id)
            .where(ServiceItem.status == ItemStatus.PUBLISHED)
            .group_by(Department.id)
            .order_by(Department.code)
        )
        .all()
    )
    return render_template("home.html", departments=departments, user=current_user())


#: A run stays on the courier's home this long after it left (a late bus, a scan to finish).
RUN_GRACE = dt.timedelta(minutes=30)


def _runs_ahead() -> list[dict[str, Any]]:
    """Today's runs that have not left, or left only just."""
    now = clock.now()
    return [
        run
        for run in runs_on(db(), clock.local_now().date())
        if run["departs_at"] >= now - RUN_GRACE
    ]


@home.get("/me")
@login_required
def mine() -> str:
    """Each role's home: what waits for this person today, and the way to their work."""
    user = current_user()
    assert user is not None  # login_required
    open_ones = [c for c in consignments_of(db(), user) if State(c.state) not in CLOSED]
    return render_template(
        "me.html",
        consignments=open_ones[:10],
        more=len(open_ones) > 10,
        next_step=next_step,
        pickups=waiting_for(db(), user),
        runs=_runs_ahead() if user.has_role(Role.COURIER, Role.ADMIN) else [],
        window=window_of(db(), user) if user.has_role(Role.HALL_STAFF) else None,
        admin_home=admin_home() if user.has_role(Role.ADMIN) else None,
    )


@home.post("/lang/<code>")
@public
def set_language(code: str) -> Any:
    if code in LANGUAGES:
        session["lang"] = code
        user = current_user()
        if user is not None:
            user.language = code
    return redirect(safe_redirect_target(request.form.get("next"), url_for("home.index")))


@home.get("/healthz")
@public
def healthz() -> Any:
    db().execute(text("SELECT 1"))
    return jsonify(status="ok")


@home.get("/readyz")
@public
def readyz() -> Any:
    """200 when the database answers and the MQTT broker accepts connections, else 503: a load
    balancer sends no requests to a worker that could only fail them."""
    checks = readiness(db(), current_app.config["COURIER_SETTINGS"].mqtt_url)
    ready = False not in checks.values()
    return jsonify(status="ready" if ready else "unavailable", **checks), 200 if ready else 503

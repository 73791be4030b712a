"""The public tracking page a label's QR code opens: progress only, nothing personal."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from courier.consignments import find_consignment
from courier.timeline import timeline
from routes.plans import history, plan_of
from web.auth import public
from web.db import db

tracking = Blueprint("tracking", __name__)


@tracking.get("/t/<code>")
@public
def track(code: str) -> str:
    consignment = find_consignment(db(), code, current_app.config["COURIER_SETTINGS"].label_key)
    return render_template(
        "tracking.html",
        consignment=consignment,
        view=timeline(db(), consignment),
        plan=plan_of(db(), consignment.id),
        eta_changes=history(db(), consignment.id),
    )

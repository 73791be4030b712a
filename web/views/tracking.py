"""The public tracking page a label's QR code opens: progress and places only, nothing personal.

Which service a consignment is for (休学, 退学 ...) is personal too: only its submitter and its
recipient, logged in, see it here.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from courier.consignments import find_consignment
from courier.timeline import timeline
from routes.plans import history, plan_of
from web.auth import current_user, public
from web.db import db

tracking = Blueprint("tracking", __name__)


@tracking.get("/t/<code>")
@public
def track(code: str) -> str:
    consignment = find_consignment(db(), code, current_app.config["COURIER_SETTINGS"].label_key)
    user = current_user()
    own = user is not None and user.id in {consignment.submitter_id, consignment.recipient_user_id}
    return render_template(
        "tracking.html",
        consignment=consignment,
        show_item=own,
        view=timeline(db(), consignment),
        plan=plan_of(db(), consignment.id),
        eta_changes=history(db(), consignment.id),
    )

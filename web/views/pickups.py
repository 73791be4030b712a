"""My pickups: what waits for the recipient, with the code and its QR; also by signed link."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from services.pickups import waiting_by_link, waiting_for
from web.auth import current_user, login_required, public
from web.db import db
from web.pickup_qr import code_qr_src

pickups = Blueprint("pickups", __name__)


@pickups.get("/pickups")
@login_required
def mine() -> str:
    user = current_user()
    assert user is not None  # login_required
    return render_template("pickups/index.html", waiting=waiting_for(db(), user), qr=code_qr_src)


@pickups.get("/p/<token>")
@public
def by_link(token: str) -> str:
    """The page a notice's link opens, without a login, while the code is live."""
    found = waiting_by_link(db(), token)
    if found is None:
        abort(404)
    return render_template("pickups/index.html", waiting=[found], qr=code_qr_src, by_link=True)

"""My pickups: what waits for the recipient, with the code and its QR; also by signed link."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from core.errors import DomainError
from courier.consignments import find_consignment
from services.pickups import let_colleague_collect, resend, waiting_by_link, waiting_for
from web.auth import current_user, login_required, public
from web.db import db
from web.errors import problem_list
from web.formatting import translate
from web.params import label_key, phone_regions
from web.pickup_qr import code_qr_src

pickups = Blueprint("pickups", __name__)


@pickups.get("/pickups")
@login_required
def mine() -> str:
    user = current_user()
    assert user is not None  # login_required
    return render_template("pickups/index.html", waiting=waiting_for(db(), user), qr=code_qr_src)


@pickups.post("/pickups/<code>/resend")
@login_required
def send_again(code: str) -> Any:
    """A fresh code to the recipient; the one shown before stops working."""
    user = current_user()
    assert user is not None  # login_required
    consignment = find_consignment(db(), code, label_key())
    try:
        resend(db(), user, consignment)
    except DomainError as error:
        flash(translate(error.message, error.params), "error")
    else:
        flash(
            gettext("A new code is on its way; the old one no longer opens the locker."), "success"
        )
    return redirect(url_for("pickups.mine"))


@pickups.post("/pickups/<code>/colleague")
@login_required
def colleague(code: str) -> Any:
    """A colleague collects instead: a fresh code to their phone; the recipient's stops working."""
    user = current_user()
    assert user is not None  # login_required
    consignment = find_consignment(db(), code, label_key())
    try:
        handed = let_colleague_collect(
            db(),
            user,
            consignment,
            name=request.form.get("name", ""),
            phone=request.form.get("phone", ""),
            phone_regions=phone_regions(),
        )
    except DomainError as error:
        for problem in problem_list(error):
            flash(problem["message"], "error")
    else:
        flash(
            gettext(
                "%(name)s gets a new code by SMS; yours no longer opens the locker.",
                name=handed.collector,
            ),
            "success",
        )
    return redirect(url_for("pickups.mine"))


@pickups.get("/p/<token>")
@public
def by_link(token: str) -> str:
    """The page a notice's link opens, without a login, while the code is live."""
    found = waiting_by_link(db(), token)
    if found is None:
        abort(404)
    return render_template("pickups/index.html", waiting=[found], qr=code_qr_src, by_link=True)

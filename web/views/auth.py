"""Logging in and out."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext

from core.users import TooManyAttempts
from web.auth import check_password, login_user, public
from web.security import safe_redirect_target

auth = Blueprint("auth", __name__)


@auth.route("/login", methods=["GET", "POST"])
@public
def login() -> Any:
    error = None
    status = 200
    if request.method == "POST":
        try:
            user = check_password(request.form.get("login", ""), request.form.get("password", ""))
        except TooManyAttempts:
            user, status = None, 429
            error = gettext("Too many attempts. Wait a few minutes and try again.")
        else:
            if user is None:
                status = 401
                error = gettext("Wrong login or password.")
        if user is not None:
            login_user(user)
            return redirect(safe_redirect_target(request.args.get("next"), url_for("home.index")))
    return render_template("login.html", error=error), status


@auth.post("/logout")
@public
def logout() -> Any:
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    return redirect(url_for("home.index"))

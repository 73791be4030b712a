"""Logging in and out."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext

from core.errors import ValidationFailed
from core.throttle import TooManyAttempts
from core.users import Role, User, end_sessions
from services import user_admin
from tickets.queue import window_of
from web.auth import check_password, current_user, keep_across_sessions, login_user, public
from web.db import db
from web.errors import problem_list, too_many_attempts_message
from web.security import safe_redirect_target
from web.start import admin_home
from web.throttling import client_address

auth = Blueprint("auth", __name__)


def start_page(user: User) -> str:
    """Where ``user`` starts the day: the page of the work their role does most."""
    if user.has_role(Role.ADMIN):
        return admin_home()
    if user.has_role(Role.CLERK):
        return url_for("agents.inbox")
    if user.has_role(Role.HALL_STAFF):
        window = window_of(db(), user)
        if window is not None:
            return url_for("tickets.console", hall_code=window.hall.code, number=window.number)
        return url_for("tickets.index")
    # Couriers (today's runs and the scan page), teachers and students (what is under way).
    return url_for("home.mine")


@auth.route("/login", methods=["GET", "POST"])
@public
def login() -> Any:
    error = None
    status = 200
    headers = {}
    if request.method == "POST":
        try:
            user = check_password(request.form.get("login", ""), request.form.get("password", ""))
        except TooManyAttempts as refused:
            user, status = None, 429
            error = too_many_attempts_message(refused)
            headers["Retry-After"] = str(refused.retry_after)
        else:
            if user is None:
                status = 401
                error = gettext("Wrong login or password.")
        if user is not None:
            login_user(user)
            return redirect(safe_redirect_target(request.args.get("next"), start_page(user)))
    return render_template("login.html", error=error), status, headers


@auth.route("/password/<token>", methods=["GET", "POST"])
@public
def set_password(token: str) -> Any:
    """The page a one-time link opens: the person chooses their password, then logs in."""
    link = user_admin.live_link(db(), token)
    if link is None:
        return render_template("set_password.html", link=None), 404
    problems: list[str] = []
    if request.method == "POST":
        if request.form.get("password", "") != request.form.get("again", ""):
            problems.append(gettext("The two passwords differ."))
        else:
            try:
                user_admin.set_password_with_link(
                    db(), token, request.form.get("password", ""), client_address()
                )
            except ValidationFailed as refused:
                problems = [p["message"] for p in problem_list(refused)]
            else:
                flash(gettext("Your password is set: log in with it."), "success")
                return redirect(url_for("auth.login"))
    status = 422 if problems else 200
    return render_template("set_password.html", link=link, problems=problems), status


@auth.post("/logout")
@public
def logout() -> Any:
    user = current_user()
    if user is not None:
        # The cookie may have been copied: end the session on the server, not only here.
        end_sessions(db(), user)
    kept = keep_across_sessions()
    session.clear()
    session.update(kept)
    return redirect(url_for("home.index"))

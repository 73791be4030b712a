"""User management for administrators: a thin adapter over :mod:`services.user_admin`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from core.errors import DomainError
from core.users import Role, User
from services import user_admin
from services.user_admin import Details
from web.auth import current_user, roles_required
from web.db import db
from web.errors import problem_list
from web.throttling import client_address

admin_users = Blueprint("admin_users", __name__, url_prefix="/admin/users")


def _details() -> Details:
    form = request.form
    return Details(
        name=form.get("name", ""),
        phone=form.get("phone", ""),
        email=form.get("email", ""),
        staff_number=form.get("staff_number", ""),
    )


def _user(user_id: int) -> User:
    user = db().get(User, user_id)
    if user is None:
        abort(404)
    return user


def _form(user: User | None, problems: list[dict[str, Any]], status: int = 200) -> Any:
    form = request.form if request.method == "POST" else None
    return (
        render_template(
            "admin/user_form.html",
            user=user,
            form=form,
            problems=problems,
            roles=list(Role),
            chosen=set(form.getlist("roles"))
            if form
            else {r.value for r in user.roles}
            if user
            else set(),
        ),
        status,
    )


@admin_users.get("/")
@roles_required(Role.ADMIN)
def index() -> str:
    text = request.args.get("q", "").strip()[:100]
    found = user_admin.search_users(db(), text, request.args.get("page", 1, type=int) or 1)
    return render_template(
        "admin/users.html",
        found=found,
        q=text,
        args={"q": text} if text else {},
        page=found.page,
        pages=found.pages,
    )


@admin_users.route("/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new() -> Any:
    if request.method == "GET":
        return _form(None, [])
    try:
        user = user_admin.add_user(
            db(),
            current_user(),
            request.form.get("login", ""),
            _details(),
            request.form.getlist("roles"),
            client_address(),
        )
    except DomainError as refused:
        return _form(None, problem_list(refused), 422)
    flash(gettext("%(login)s is added; send a link to set the password.", login=user.login))
    return redirect(url_for("admin_users.edit", user_id=user.id))


@admin_users.route("/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit(user_id: int) -> Any:
    user = _user(user_id)
    if request.method == "GET":
        return _form(user, [])
    try:
        user_admin.update_user(
            db(), current_user(), user, _details(), request.form.getlist("roles"), client_address()
        )
    except DomainError as refused:
        return _form(user, problem_list(refused), 422)
    flash(gettext("Saved."), "success")
    return redirect(url_for("admin_users.edit", user_id=user.id))


def _act(user_id: int, act: Any, message: str) -> Any:
    user = _user(user_id)
    try:
        act(user)
    except DomainError as refused:
        flash(problem_list(refused)[0]["message"], "error")
    else:
        flash(message, "success")
    return redirect(url_for("admin_users.edit", user_id=user.id))


@admin_users.post("/<int:user_id>/active")
@roles_required(Role.ADMIN)
def set_active(user_id: int) -> Any:
    active = request.form.get("active") == "1"
    return _act(
        user_id,
        lambda user: user_admin.set_active(db(), current_user(), user, active, client_address()),
        gettext("The account is enabled.")
        if active
        else gettext("The account is disabled; its sessions and tokens are ended."),
    )


@admin_users.post("/<int:user_id>/password-link")
@roles_required(Role.ADMIN)
def password_link(user_id: int) -> Any:
    hours = current_app.config["COURIER_SETTINGS"].password_link_hours
    return _act(
        user_id,
        lambda user: user_admin.send_password_link(
            db(), current_user(), user, dt.timedelta(hours=hours), client_address()
        ),
        gettext("A one-time link to set the password is on its way."),
    )


@admin_users.post("/<int:user_id>/revoke")
@roles_required(Role.ADMIN)
def revoke(user_id: int) -> Any:
    return _act(
        user_id,
        lambda user: user_admin.revoke_tokens(db(), current_user(), user, client_address()),
        gettext("Every session, token and password link of this user is ended."),
    )

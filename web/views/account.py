"""Each user's own account: password and API tokens (list, create, revoke)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from core.errors import ValidationFailed
from core.users import (
    MAX_TOKEN_LIFETIME,
    TOKEN_LIFETIME,
    User,
    authenticate,
    change_password,
    issue_token,
    live_tokens,
    revoke_token,
)
from services import audit
from web.auth import current_user, login_required, login_user
from web.db import db
from web.errors import problem_list
from web.throttling import client_address

account = Blueprint("account", __name__)


def _me() -> User:
    user = current_user()
    assert user is not None
    return user


def _page(status: int = 200, **context: Any) -> Any:
    return (
        render_template(
            "account.html",
            tokens=live_tokens(db(), _me()),
            default_days=TOKEN_LIFETIME.days,
            max_days=MAX_TOKEN_LIFETIME.days,
            **context,
        ),
        status,
    )


@account.get("/account")
@login_required
def index() -> Any:
    return _page()


@account.post("/account/password")
@login_required
def password() -> Any:
    user = _me()
    if authenticate(db(), user.login, request.form.get("current", "")) is None:
        return _page(400, password_problems=[gettext("The current password is wrong.")])
    try:
        change_password(db(), user, request.form.get("new", ""))
    except ValidationFailed as refused:
        return _page(400, password_problems=[p["message"] for p in problem_list(refused)])
    audit.record(db(), user, "user.password_changed", user.login, address=client_address())
    # Every session and token ended; this browser starts a fresh session.
    login_user(user)
    flash(gettext("Your password is changed; other sessions and all tokens are ended."), "success")
    return redirect(url_for("account.index"))


@account.post("/account/tokens")
@login_required
def create_token() -> Any:
    try:
        days = int(request.form.get("days", TOKEN_LIFETIME.days))
    except ValueError:
        days = TOKEN_LIFETIME.days
    days = min(max(days, 1), MAX_TOKEN_LIFETIME.days)
    try:
        token = issue_token(db(), _me(), request.form.get("name", ""), dt.timedelta(days=days))
    except ValidationFailed as refused:
        return _page(400, token_problems=[p["message"] for p in problem_list(refused)])
    # Shown once, in this answer only: neither stored nor put in the session cookie.
    return _page(201, new_token=token)


@account.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int) -> Any:
    revoke_token(db(), _me(), token_id)
    flash(gettext("The token is revoked."), "success")
    return redirect(url_for("account.index"))

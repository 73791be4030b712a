"""The start page, the language switch and the health check."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, redirect, render_template, request, session, url_for
from sqlalchemy import func, select, text

from catalog.models import Department, ItemStatus, ServiceItem
from core.config import LANGUAGES
from web.auth import current_user, public
from web.db import db
from web.security import safe_redirect_target

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

"""The administrators' page reading the audit log."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from sqlalchemy import select

from core.audit import AuditEntry
from core.users import Role
from services import audit
from web.auth import roles_required
from web.db import db

admin_audit = Blueprint("admin_audit", __name__)


@admin_audit.get("/admin/audit")
@roles_required(Role.ADMIN)
def index() -> Any:
    action = request.args.get("action", "").strip()
    actions = db().scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action))
    return render_template(
        "admin/audit.html",
        entries=audit.recent(db(), action=action or None),
        actions=list(actions),
        action=action,
    )

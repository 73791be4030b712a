"""Notices on the web: each user's preferences and the administrators' outbox page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select

from core.config import LANGUAGES
from core.errors import ValidationFailed
from core.outbox import OutboxMessage, OutboxStatus
from core.users import Role
from notifications.dispatcher import CHANNELS, resend
from notifications.models import ChannelChoice, ConsoleMessage
from notifications.notify import preference_of
from notifications.templates import staff_text
from services import audit
from services.contact import set_contact
from web.auth import current_user, login_required, roles_required
from web.db import db
from web.errors import problem_list
from web.params import phone_regions
from web.throttling import client_address

notifications = Blueprint("notifications", __name__)

PAGE_ROWS = 100
#: What the admin page can filter on; ``failed`` means waiting for a retry after an error.
FILTERS = ("all", "sent", "failed", "dead", "unknown", "pending")


def _preferences_page(status: int = 200, **context: Any) -> Any:
    user = current_user()
    assert user is not None
    return (
        render_template(
            "notifications/preferences.html",
            preference=preference_of(db(), user),
            channels=list(ChannelChoice),
            languages=LANGUAGES,
            **context,
        ),
        status,
    )


@notifications.get("/notifications/preferences")
@login_required
def preferences() -> Any:
    return _preferences_page()


@notifications.post("/notifications/preferences")
@login_required
def save_preferences() -> Any:
    user = current_user()
    assert user is not None
    form = request.form
    channel, language = form.get("channel", ""), form.get("language", "")
    if channel not in ChannelChoice.__members__.values() or language not in LANGUAGES:
        abort(400)
    try:
        stored = set_contact(db(), user, form.get("phone"), form.get("wechat_id"), phone_regions())
    except ValidationFailed as refused:
        problems: dict[str, list[str]] = {}
        for problem in problem_list(refused):
            problems.setdefault(problem["field"], []).append(problem["message"])
        return _preferences_page(422, problems=problems, entered=form)
    stored.channel = ChannelChoice(channel)
    stored.language = language
    flash(gettext("Your notice settings are saved."), "success")
    return redirect(url_for("notifications.preferences"))


def _status_filter(name: str) -> Any:
    if name == "failed":
        return (OutboxMessage.status == OutboxStatus.PENDING) & OutboxMessage.last_error.is_not(
            None
        )
    if name in OutboxStatus.__members__.values():
        return OutboxMessage.status == name
    return None


@notifications.get("/admin/notifications")
@roles_required(Role.ADMIN)
def admin() -> Any:
    shown = request.args.get("status", "all")
    if shown not in FILTERS:
        shown = "all"
    to = request.args.get("to", "").strip()
    query = select(OutboxMessage).where(OutboxMessage.channel.in_(CHANNELS))
    condition = _status_filter(shown)
    if condition is not None:
        query = query.where(condition)
    if to:
        query = query.where(OutboxMessage.recipient == to)
    rows = db().scalars(query.order_by(OutboxMessage.id.desc()).limit(PAGE_ROWS)).all()
    console = (
        db()
        .scalars(select(ConsoleMessage).order_by(ConsoleMessage.id.desc()).limit(PAGE_ROWS))
        .all()
    )
    return render_template(
        "notifications/admin.html",
        rows=rows,
        console=console,
        shown=shown,
        filters=FILTERS,
        to=to,
        resendable={OutboxStatus.SENT, OutboxStatus.DEAD, OutboxStatus.UNKNOWN},
        staff_text=staff_text,
    )


@notifications.post("/admin/notifications/<int:outbox_id>/resend")
@roles_required(Role.ADMIN)
def resend_notice(outbox_id: int) -> Any:
    row = db().get(OutboxMessage, outbox_id)
    if row is None or row.channel not in CHANNELS:
        abort(404)
    resend(db(), outbox_id)
    audit.record(
        db(),
        current_user(),
        "notice.resend",
        f"outbox {outbox_id} to {row.recipient}",
        address=client_address(),
    )
    flash(gettext("Notice %(id)s will be sent again.", id=outbox_id), "success")
    return redirect(url_for("notifications.admin", status=request.form.get("status", "all")))

"""The agent clerk's desk: inbox by due time, the work page of one consignment, statistics."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select

from catalog.models import Department
from core import clock
from core.errors import DomainError
from core.users import Role, User, UserRole
from courier import agents, sla
from courier.consignments import find_consignment
from courier.custody import allowed_now
from courier.models import Consignment, SlaAlert
from courier.states import Kind, State
from courier.timeline import timeline
from dashboard import figures as dashboard
from lockers.compartments import bank_by_controller
from lockers.models import BankKind, LockerBank
from services import desk as desk_acts
from services import materials, ownership, pickup, sorting
from web.auth import current_user, roles_required
from web.db import db
from web.errors import problem_list
from web.formatting import label, translate
from web.params import base_url, label_key
from web.throttling import client_address

desk = Blueprint("agents", __name__, url_prefix="/clerk")
STAFF = (Role.CLERK, Role.ADMIN)
DESK_STAFF = (Role.CLERK, Role.HALL_STAFF, Role.ADMIN)


@desk.get("/")
@roles_required(*STAFF)
def inbox() -> str:
    clerk = current_user()
    department = request.args.get("department", type=int)
    state = request.args.get("state") or None
    box = agents.inbox(db(), clerk, department_id=department, state=state)
    campus = agents.clerk_campus(db(), clerk)
    departments = select(Department).order_by(Department.code)
    if campus is not None:
        departments = departments.where(Department.campus_id == campus)
    alerts = db().scalars(
        select(SlaAlert)
        .where(SlaAlert.clerk_id == clerk.id, SlaAlert.acknowledged_at.is_(None))
        .order_by(SlaAlert.id.desc())
        .limit(20)
    )
    return render_template(
        "agents/inbox.html",
        box=box,
        departments=db().scalars(departments).all(),
        department=department,
        state=state,
        alerts=alerts.all(),
        sorting=sorting.desk_view(db(), clerk),
    )


@desk.post("/sorting/<controller>/<int:number>/open")
@roles_required(*STAFF)
def open_sorting(controller: str, number: int) -> Any:
    """Open a sorting compartment from the desk: the clerk accepts every envelope in it."""
    bank = bank_by_controller(db(), controller)
    if bank is None:
        abort(404)
    try:
        taken = sorting.take_out(db(), current_user(), bank, number, client_address())
    except DomainError as error:
        flash(translate(error.message, error.params), "error")
    else:
        flash(
            gettext(
                "Compartment %(number)s opens: %(count)s envelope(s) are now yours.",
                number=number,
                count=len(taken),
            ),
            "success",
        )
    return redirect(url_for("agents.inbox"))


def _consignment(code: str) -> Consignment:
    return find_consignment(db(), code, label_key())


@desk.get("/<code>")
@roles_required(*DESK_STAFF)
def work(code: str) -> str:
    consignment = _consignment(code)
    user = current_user()
    owner = ownership.may_act(user, consignment)
    placeable = allowed_now(consignment, (Kind.PLACED_FOR_PICKUP, Kind.PLACED_AT_DESK))
    clerks = db().scalars(
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.CLERK, User.id != consignment.agent_id)
        .order_by(User.name)
    )
    return render_template(
        "agents/work.html",
        consignment=consignment,
        view=timeline(db(), consignment),
        colour=sla.colour(consignment),
        owner=owner,
        steps=allowed_now(consignment, agents.SIMPLE_STEPS) if owner else [],
        can=set(
            allowed_now(
                consignment,
                (
                    Kind.AGENT_ACCEPTED,
                    Kind.REJECTED,
                    Kind.MATERIALS_REQUESTED,
                    Kind.MATERIALS_RECEIVED,
                    Kind.RESULT_READY,
                    Kind.REASSIGNED,
                    Kind.PICKED_UP,
                ),
            )
            + placeable
        ),
        requests=agents.materials_requests(db(), consignment),
        banks=db()
        .scalars(
            select(LockerBank)
            .where(
                LockerBank.kind == BankKind.PICKUP,
                LockerBank.campus_id == consignment.pickup_campus_id,
            )
            .order_by(LockerBank.controller)
        )
        .all()
        if Kind.PLACED_FOR_PICKUP in placeable
        else [],
        clerks=clerks.unique().all(),
        result_kinds=agents.RESULT_KINDS,
        form_id=uuid.uuid4(),
    )


def _key(action: str) -> str:
    return f"web:{request.form.get('form_id') or uuid.uuid4()}:{action}"


def _accept(consignment: Consignment, user: User, _form: Any) -> str:
    desk_acts.accept(db(), user, consignment)
    return gettext("Accepted: it is yours until it is closed.")


def _step(consignment: Consignment, user: User, form: Any) -> str:
    kind = form.get("kind", "")
    if kind not in Kind.__members__.values():
        abort(400)
    desk_acts.record_step(
        db(),
        user,
        consignment,
        Kind(kind),
        _key(kind),
        note=form.get("note", ""),
        result_kind=form.get("result_kind") or None,
    )
    return gettext("Recorded: %(kind)s.", kind=label(kind, Kind))


def _materials(consignment: Consignment, user: User, form: Any) -> str:
    materials.request_materials(
        db(),
        user,
        consignment,
        form.getlist("missing"),
        form.get("other", ""),
        _key("materials"),
        reason=form.get("reason", ""),
        label_key=label_key(),
        base_url=base_url(),
    )
    return gettext("The submitter is told what is missing; the clock is paused.")


def _materials_received(consignment: Consignment, user: User, _form: Any) -> str:
    desk_acts.receive_materials(db(), user, consignment, _key("received"))
    return gettext("Materials received: the clock runs again.")


def _reassign(consignment: Consignment, user: User, form: Any) -> str:
    to = db().get(User, form.get("to", type=int) or 0)
    if to is None:
        abort(400)
    desk_acts.reassign(db(), user, consignment, to, form.get("reason", ""))
    return gettext("Reassigned to %(name)s.", name=to.name)


def _locker(consignment: Consignment, user: User, form: Any) -> str:
    bank = db().get(LockerBank, form.get("bank", type=int) or 0)
    if bank is None:
        abort(400)
    placed = pickup.place_result(
        db(), user, consignment, _key("locker"), bank=bank, number=form.get("compartment", type=int)
    )
    assert placed.compartment is not None  # a bank was given
    return gettext(
        "Placed in %(name)s, compartment %(number)s; the recipient gets the code.",
        name=bank.name,
        number=placed.compartment.number,
    )


def _desk(consignment: Consignment, user: User, _form: Any) -> str:
    pickup.keep_at_desk(db(), user, consignment, _key("desk"))
    return gettext("Kept at the desk; the recipient gets a code.")


def _handover(consignment: Consignment, user: User, form: Any) -> str:
    pickup.hand_over(
        db(),
        user,
        consignment,
        _key("handover"),
        collected_by=form.get("collected_by", ""),
        code=form.get("code", ""),
        id_checked=bool(form.get("id_checked")),
    )
    return gettext("Handed over: the consignment is closed.")


ACTIONS = {
    "accept": _accept,
    "step": _step,
    "materials": _materials,
    "materials-received": _materials_received,
    "reassign": _reassign,
    "locker": _locker,
    "desk": _desk,
    "handover": _handover,
}


@desk.post("/<code>/<action>")
@roles_required(*DESK_STAFF)
def act(code: str, action: str) -> Any:
    """One form of the work page; a refusal changes nothing and says why."""
    handler = ACTIONS.get(action)
    if handler is None:
        abort(404)
    consignment = _consignment(code)
    try:
        message = handler(consignment, current_user(), request.form)
    except DomainError as error:
        flash(problem_list(error)[0]["message"], "error")
        return redirect(url_for("agents.work", code=consignment.tracking_code))
    flash(message, "success")
    return redirect(url_for("agents.work", code=consignment.tracking_code))


@desk.post("/alerts/<int:alert_id>/ack")
@roles_required(*STAFF)
def acknowledge(alert_id: int) -> Any:
    """The clerk (or an administrator) has seen the alert; it leaves the inbox's list."""
    alert = db().get(SlaAlert, alert_id)
    user = current_user()
    if alert is None or (alert.clerk_id != user.id and not user.has_role(Role.ADMIN)):
        abort(404)
    alert.acknowledged_at = clock.now()
    return redirect(request.referrer or url_for("agents.inbox"))


@desk.get("/stats")
@roles_required(*STAFF)
def stats() -> str:
    last_30_days = dashboard.Period.last_days(30)
    return render_template(
        "agents/stats.html",
        by_department=sla.statistics_by(db(), "department"),
        by_item=sla.statistics_by(db(), "item"),
        agent_by_department=dashboard.agent_satisfaction_by_department(db(), last_30_days),
        by_clerk=dashboard.satisfaction_by_clerk(db(), last_30_days),
        open_alerts=db()
        .scalars(
            select(SlaAlert)
            .where(SlaAlert.acknowledged_at.is_(None))
            .order_by(SlaAlert.id.desc())
            .limit(50)
        )
        .all(),
        State=State,
    )

"""Lockers: the administrators' view of every bank, remote opening, dead letters; the kiosk."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import func, select

from core.errors import N_, DomainError
from core.users import Role
from courier.consignments import find_consignment
from firmware_bridge.commands import queue_command
from firmware_bridge.models import (
    OPEN_COMMANDS,
    Command,
    ControllerSequence,
    DeadLetter,
    DeviceEvent,
)
from lockers.compartments import bank_by_controller
from lockers.models import Alert, BankKind, LockerBank
from services import audit
from services.controller_sequences import start_sequence_afresh
from services.drop_box import drop_progress, open_for_label
from services.kiosk import Answer, opening, try_code
from services.locker_alerts import acknowledge_alert
from web.auth import current_user, public, roles_required
from web.db import db
from web.formatting import translate
from web.label_photos import decode_photo
from web.params import label_key
from web.throttling import client_address

lockers = Blueprint("lockers", __name__)


@lockers.get("/admin/lockers/")
@roles_required(Role.ADMIN)
def index() -> str:
    return render_template(
        "lockers/index.html",
        banks=db().scalars(select(LockerBank).order_by(LockerBank.controller)).all(),
        commands=db()
        .scalars(
            select(Command).where(Command.status.in_(OPEN_COMMANDS)).order_by(Command.id.desc())
        )
        .all(),
        alerts=db()
        .scalars(
            select(Alert).where(Alert.acknowledged_at.is_(None)).order_by(Alert.id.desc()).limit(20)
        )
        .all(),
        dead_letters=db().scalar(select(func.count()).select_from(DeadLetter)) or 0,
    )


def _bank(controller: str) -> LockerBank:
    bank = bank_by_controller(db(), controller)
    if bank is None:
        abort(404)
    return bank


@lockers.get("/admin/lockers/<controller>")
@roles_required(Role.ADMIN)
def detail(controller: str) -> str:
    bank = _bank(controller)
    return render_template(
        "lockers/detail.html",
        bank=bank,
        sequence=db().get(ControllerSequence, controller),
        events=db()
        .scalars(
            select(DeviceEvent)
            .where(DeviceEvent.controller == controller)
            .order_by(DeviceEvent.generation.desc(), DeviceEvent.seq.desc())
            .limit(30)
        )
        .all(),
        commands=db()
        .scalars(
            select(Command)
            .where(Command.controller == controller)
            .order_by(Command.id.desc())
            .limit(20)
        )
        .all(),
    )


@lockers.post("/admin/lockers/<controller>/open")
@roles_required(Role.ADMIN)
def remote_open(controller: str) -> Any:
    bank = _bank(controller)
    number = request.form.get("compartment", type=int)
    reason = request.form.get("reason", "").strip()
    if number not in {c.number for c in bank.compartments} or not reason:
        flash(gettext("Choose a compartment and say why it is opened."), "error")
        return redirect(url_for("lockers.detail", controller=controller))
    queue_command(
        db(), bank, "open", {"compartment": number}, reason=reason, requested_by=current_user()
    )
    audit.record(
        db(),
        current_user(),
        "locker.remote_open",
        f"{controller} / {number}",
        {"reason": reason},
        client_address(),
    )
    flash(
        gettext("Opening compartment %(number)s: the locker confirms in a moment.", number=number),
        "success",
    )
    return redirect(url_for("lockers.detail", controller=controller))


@lockers.post("/admin/lockers/<controller>/sequence-afresh")
@roles_required(Role.ADMIN)
def sequence_afresh(controller: str) -> Any:
    """A replaced controller counts from seq 1 again: its next events are new, not reused."""
    _bank(controller)
    reason = request.form.get("reason", "").strip()
    if not reason or request.form.get("confirm") != "1":
        flash(gettext("Say why, and confirm that the controller was replaced."), "error")
        return redirect(url_for("lockers.detail", controller=controller))
    sequence = start_sequence_afresh(
        db(), current_user(), controller, reason, label_key(), client_address()
    )
    flash(
        gettext(
            "The sequence starts afresh: generation %(generation)s takes seq 1 as a new event.",
            generation=sequence.generation,
        ),
        "success",
    )
    return redirect(url_for("lockers.detail", controller=controller))


@lockers.post("/admin/lockers/alerts/<int:alert_id>/ack")
@roles_required(Role.ADMIN)
def acknowledge(alert_id: int) -> Any:
    """Close an alert once it is dealt with; its cause may raise a new one later."""
    alert = acknowledge_alert(db(), current_user(), alert_id, client_address())
    flash(gettext("Alert acknowledged: %(message)s", message=alert.message), "success")
    return redirect(url_for("lockers.index"))


@lockers.get("/admin/dead-letters")
@roles_required(Role.ADMIN)
def dead_letters() -> str:
    letters = db().scalars(select(DeadLetter).order_by(DeadLetter.id.desc()).limit(200)).all()
    return render_template("lockers/dead_letters.html", letters=letters)


@lockers.route("/lockers/<controller>/kiosk", methods=["GET", "POST"])
@public
def kiosk(controller: str) -> Any:
    """The pickup locker's screen: the code is checked here at once, only the door to open
    travels to the controller."""
    bank = _pickup_bank(controller)
    answer = None
    if request.method == "POST":
        digits = "".join(ch for ch in request.form.get("code", "") if ch.isdigit())
        answer = try_code(db(), bank, digits, client_address())
        if answer.answer is Answer.OPENING:
            return redirect(
                url_for("lockers.kiosk_opening", controller=controller, cmd=answer.command_id)
            )
    return render_template("lockers/kiosk.html", bank=bank, answer=answer)


@lockers.get("/lockers/<controller>/kiosk/opening/<cmd>")
@public
def kiosk_opening(controller: str, cmd: str) -> str:
    """Whether the door opened: the page looks again every second until the controller answers
    or :data:`services.kiosk.ANSWER_WITHIN` has passed."""
    bank = _pickup_bank(controller)
    found = opening(db(), bank, cmd)
    if found is None:
        abort(404)
    state, number = found
    return render_template("lockers/kiosk_opening.html", bank=bank, state=state, number=number)


def _pickup_bank(controller: str) -> LockerBank:
    bank = _bank(controller)
    if bank.kind != BankKind.PICKUP:
        abort(404)
    return bank


def _drop_bank(controller: str) -> LockerBank:
    bank = _bank(controller)
    if bank.kind != BankKind.DROP_BOX:
        abort(404)
    return bank


def _label_text() -> str:
    """The label's code as typed or sent by the reader (a keyboard wedge types into the same
    field), else decoded from the camera photo; empty when neither came."""
    typed = request.form.get("code", "").strip()
    if typed:
        return typed[:300]
    upload = request.files.get("photo")
    if upload is None or not upload.filename:
        return ""
    texts = decode_photo(upload.read())
    if not texts:
        raise DomainError(
            "no_code", N_("No code found in the photo: hold the label flat and closer.")
        )
    return texts[0]


@lockers.route("/lockers/<controller>/drop", methods=["GET", "POST"])
@public
def drop(controller: str) -> Any:
    """The drop box's screen: a teacher shows the label (reader, camera or typed code); a
    genuine one opens a compartment that fits. Public like the pickup kiosk: the screen hangs
    on the box, and the label's signature, not a login, is what opens a door."""
    bank = _drop_bank(controller)
    refusal = None
    if request.method == "POST":
        try:
            text = _label_text()
            if not text:
                raise DomainError("no_code", N_("Scan the label, or type the code under it."))
            opened = open_for_label(db(), bank, text, label_key())
        except DomainError as error:
            refusal = translate(error.message, error.params)
        else:
            return redirect(
                url_for(
                    "lockers.drop_opening",
                    controller=controller,
                    code=opened.tracking_code,
                    cmd=opened.command_id,
                )
            )
    status = 422 if refusal else 200
    return render_template("lockers/drop.html", bank=bank, refusal=refusal), status


@lockers.get("/lockers/<controller>/drop/<code>/<cmd>")
@public
def drop_opening(controller: str, code: str, cmd: str) -> str:
    """The door the screen asked for: opening, open, the envelope received (the receipt is on
    its way), closed empty, or no answer from the box. Looks again every second until done."""
    bank = _drop_bank(controller)
    consignment = find_consignment(db(), code, label_key())
    found = drop_progress(db(), bank, cmd, consignment)
    if found is None:
        abort(404)
    return render_template(
        "lockers/drop_opening.html", bank=bank, view=found, code=consignment.tracking_code
    )

"""Applying a stored event to the domain: doors, deposits, pickups, wrong codes and alarms.

The device tells the truth about its doors; where the domain refuses what an event implies (a
forged label, say) the refusal becomes the event's result instead of an error.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from core.errors import DomainError
from courier.models import Source
from lockers import keypad_lock
from lockers.alerts import raise_alert
from lockers.bus_box import REPORTED, box_saw
from lockers.compartments import empty
from lockers.models import AlertKind, BankKind, Compartment, CompartmentState, LockerBank
from lockers.pickups import deposit, pickup
from lockers.sorting import sort_into


def numbered(session: Session, bank: LockerBank) -> dict[int, Compartment]:
    """The bank's compartments by number, built once per session."""
    cache = session.info.setdefault("compartments", {})
    found = cache.get(bank.controller)
    if found is None:
        found = cache[bank.controller] = {c.number: c for c in bank.compartments}
    return found  # type: ignore[no-any-return]


def apply_event(
    session: Session,
    bank: LockerBank,
    kind: str,
    data: dict[str, Any],
    seq: int,
    device_at: dt.datetime,
    label_key: str,
    generation: int = 1,
) -> str:
    """One stored event's effect on the domain; returns what happened, for the log."""
    item = numbered(session, bank).get(data.get("compartment"))
    key = custody_key(bank.controller, generation, seq)
    try:
        if bank.kind == BankKind.BUS_BOX and kind in REPORTED and item is not None:
            # The box's view of the trip; the door's own state is kept as in any bank below.
            seen = box_saw(
                session, item, kind, data.get("label"), label_key=label_key, device_at=device_at
            )
            if kind != "door_opened":
                return f"bus box {kind} {seen or '-'}"
        if kind == "door_opened" and item is not None:
            if item.state != CompartmentState.OPEN:
                # Setting it again would still make the flush look at the compartment.
                item.state = CompartmentState.OPEN
            return "door open"
        if kind == "door_closed" and item is not None:
            if data["occupied"]:
                item.state = CompartmentState.OCCUPIED
            else:
                empty(item)
            return "door closed"
        if kind == "deposit" and item is not None and bank.kind == BankKind.SORTING:
            # The courier's sort: into the compartment of the envelope's department.
            done = sort_into(
                session, item, data.get("label"), key=key, label_key=label_key,
                device_at=device_at,
            )  # fmt: skip
            return _said("sort", done.ok, done.reason_code, done.consignment)
        if kind == "deposit" and item is not None:
            outcome = deposit(
                session, item, data.get("label"), key=key, label_key=label_key,
                device_at=device_at,
            )  # fmt: skip
            return _said("deposit", outcome.ok, outcome.reason_code, outcome.consignment)
        if kind == "pickup" and item is not None:
            if not data["code_ok"]:
                keypad_lock.count_wrong(session, bank)
                return "wrong code"
            outcome = pickup(session, item, key=key, source=Source.MQTT, device_at=device_at)
            return _said("pickup", outcome.ok, outcome.reason_code, outcome.consignment)
        if kind == "code_rejected":
            # Wrong codes count against the bank, whichever compartment (if any) they named.
            keypad_lock.count_wrong(session, bank)
            return "code rejected"
        if kind in {"tamper", "fault"}:
            kind = AlertKind.TAMPER if kind == "tamper" else AlertKind.FAULT
            detail = data.get("kind") or f"{data.get('component')}: {data.get('detail')}"
            raise_alert(
                session,
                kind,
                f"{bank.controller}: {kind} {detail}",
                bank=bank,
                compartment_number=item.number if item else None,
            )
            return f"alert {detail}"
    except DomainError as error:
        # The device told the truth about the door; the domain refused what it implied.
        return f"{kind} refused: {error.code}"
    return kind


def custody_key(controller: str, generation: int, seq: int) -> str:
    """The idempotency key of the custody event an MQTT event records. A sequence started
    afresh counts from 1 again, so its keys name the generation; the first keeps the keys
    stored before generations existed."""
    if generation == 1:
        return f"mqtt:{controller}:{seq}"
    return f"mqtt:{controller}:g{generation}:{seq}"


def _said(what: str, ok: bool, reason: str | None, consignment: Any) -> str:
    code = consignment.tracking_code if consignment is not None else "-"
    return f"{what} {code}" if ok else f"{what} {code} refused: {reason}"

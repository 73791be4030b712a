"""Deposits into drop boxes and pickups from pickup lockers, however they are reported."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from core import clock
from core.errors import N_
from courier.consignments import find_consignment
from courier.models import Consignment, Source
from courier.states import Kind
from lockers import pickup_codes
from lockers.alerts import raise_alert
from lockers.compartments import empty, fill, record_at_locker
from lockers.models import AlertKind, Compartment, CompartmentState


@dataclass
class LockerOutcome:
    ok: bool
    reason_code: str | None = None
    reason: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    consignment: Consignment | None = None


def deposit(
    session: Session,
    item: Compartment,
    label_text: str | None,
    *,
    key: str,
    label_key: str,
    device_at: dt.datetime | None = None,
) -> LockerOutcome:
    """An envelope went into a drop-box compartment; its label, if read, says which one,
    else the compartment's reservation does (the drop-box screen checked the label before
    asking for the door)."""
    waiting = item.state in (CompartmentState.RESERVED, CompartmentState.OPEN)
    reserved_for = item.consignment if waiting and item.consignment_id is not None else None
    item.state = CompartmentState.OCCUPIED
    if not label_text and reserved_for is not None:
        consignment = reserved_for
    elif not label_text:
        raise_alert(
            session,
            AlertKind.FAULT,
            f"deposit without a readable label in compartment {item.number}",
            bank=item.bank,
            compartment_number=item.number,
        )
        return LockerOutcome(False, "no_label", N_("The deposit has no readable label."))
    else:
        consignment = find_consignment(session, label_text, label_key)
    outcome = record_at_locker(
        session, consignment, item, Kind.DEPOSITED, key, Source.MQTT, device_at=device_at
    )
    if outcome.ok:
        fill(item, consignment)
    return LockerOutcome(
        outcome.ok, outcome.reason_code, outcome.reason, outcome.params, consignment
    )


def pickup(
    session: Session,
    item: Compartment,
    *,
    key: str,
    source: Source,
    device_at: dt.datetime | None = None,
) -> LockerOutcome:
    """The controller opened ``item`` for its recipient, after a right code on its keypad or the
    server's check of a code typed on the kiosk: the result leaves the locker, its code is used."""
    consignment = item.consignment
    if consignment is None:
        return LockerOutcome(False, "empty", N_("This compartment holds nothing to pick up."))
    code = pickup_codes.active_code(session, item)
    outcome = record_at_locker(
        session, consignment, item, Kind.PICKED_UP, key, source, device_at=device_at
    )
    if outcome.ok:
        if code is not None:
            code.used_at = clock.now()
            if code.collector:
                consignment.collected_by = code.collector
        empty(item)
    return LockerOutcome(
        outcome.ok, outcome.reason_code, outcome.reason, outcome.params, consignment
    )

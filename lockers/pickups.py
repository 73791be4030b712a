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
    """An envelope went into a drop-box compartment; its label, if read, says which one."""
    item.state = CompartmentState.OCCUPIED
    if not label_text:
        raise_alert(
            session,
            AlertKind.FAULT,
            f"deposit without a readable label in compartment {item.number}",
            bank=item.bank,
            compartment_number=item.number,
        )
        return LockerOutcome(False, "no_label", N_("The deposit has no readable label."))
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
    digits: str | None = None,
    verified_by_controller: bool = False,
    device_at: dt.datetime | None = None,
) -> LockerOutcome:
    """Someone tried to pick up from ``item``: with ``digits`` the code is checked here; a
    controller that checked it offline says so with ``verified_by_controller``."""
    if pickup_codes.is_locked(item) and not verified_by_controller:
        return LockerOutcome(
            False,
            "locked",
            N_("Too many wrong codes: this compartment opens again at %(when)s."),
            {"when": item.locked_until},
        )
    code = pickup_codes.active_code(session, item)
    if not (verified_by_controller or pickup_codes.matches(code, digits or "")):
        locked = pickup_codes.count_wrong_try(session, item)
        if locked:
            return LockerOutcome(
                False,
                "locked",
                N_("Too many wrong codes: this compartment opens again at %(when)s."),
                {"when": item.locked_until},
            )
        return LockerOutcome(
            False,
            "wrong_code",
            N_("Wrong pickup code; %(left)s tries left."),
            {"left": pickup_codes.MAX_WRONG_TRIES - item.failed_attempts},
        )
    consignment = item.consignment
    if consignment is None:
        return LockerOutcome(False, "empty", N_("This compartment holds nothing to pick up."))
    outcome = record_at_locker(
        session, consignment, item, Kind.PICKED_UP, key, source, device_at=device_at
    )
    if outcome.ok:
        if code is not None:
            code.used_at = clock.now()
        empty(item)
    return LockerOutcome(
        outcome.ok, outcome.reason_code, outcome.reason, outcome.params, consignment
    )

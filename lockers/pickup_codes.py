"""Six-digit pickup codes: issued for one compartment, kept only as salted hashes, used once.

The controller gets the salt and the hash (never the digits) so that it can open offline. Five
wrong tries on a compartment lock it for a quarter of an hour and alert an administrator.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core import clock, codes
from lockers.alerts import raise_alert
from lockers.models import AlertKind, Compartment, PickupCode

DEFAULT_VALIDITY = dt.timedelta(hours=72)
MAX_WRONG_TRIES = 5
LOCKOUT = dt.timedelta(minutes=15)


def issue_code(
    session: Session,
    compartment: Compartment,
    consignment_id: int,
    valid_for: dt.timedelta = DEFAULT_VALIDITY,
) -> tuple[PickupCode, str]:
    """A new code for ``compartment``; earlier codes for it stop working. Returns the digits
    once: they go to the recipient and are never stored."""
    now = clock.now()
    revoke(session, compartment)
    digits, salt, hashed = codes.new_pin()
    code = PickupCode(
        compartment_id=compartment.id,
        consignment_id=consignment_id,
        salt=salt,
        code_hash=hashed,
        valid_until=now + valid_for,
    )
    session.add(code)
    session.flush()
    return code, digits


def revoke(session: Session, compartment: Compartment) -> None:
    """Revoke every code of the compartment still open (its content left another way)."""
    session.execute(
        update(PickupCode)
        .where(
            PickupCode.compartment_id == compartment.id,
            PickupCode.used_at.is_(None),
            PickupCode.revoked_at.is_(None),
        )
        .values(revoked_at=clock.now())
        .execution_options(synchronize_session=False)
    )


def active_code(session: Session, compartment: Compartment) -> PickupCode | None:
    """The compartment's unused, unrevoked, unexpired code, if any."""
    return session.scalar(
        select(PickupCode)
        .where(
            PickupCode.compartment_id == compartment.id,
            PickupCode.used_at.is_(None),
            PickupCode.revoked_at.is_(None),
            PickupCode.valid_until > clock.now(),
        )
        .order_by(PickupCode.id.desc())
        .limit(1)
    )


def is_locked(compartment: Compartment) -> bool:
    return compartment.locked_until is not None and compartment.locked_until > clock.now()


def matches(code: PickupCode | None, digits: str) -> bool:
    return code is not None and codes.pin_matches(code.salt, code.code_hash, digits)


def count_wrong_try(session: Session, compartment: Compartment) -> bool:
    """Count a wrong code; returns True when this try locked the compartment."""
    compartment.failed_attempts += 1
    if compartment.failed_attempts < MAX_WRONG_TRIES:
        return False
    compartment.failed_attempts = 0
    compartment.locked_until = clock.now() + LOCKOUT
    raise_alert(
        session,
        AlertKind.LOCKOUT,
        f"{MAX_WRONG_TRIES} wrong pickup codes: compartment {compartment.number} "
        f"locked until {compartment.locked_until.isoformat(timespec='minutes')}",
        bank=compartment.bank,
        compartment_number=compartment.number,
    )
    return True

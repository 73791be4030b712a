"""Six-digit pickup codes: issued for one compartment, kept only as a keyed hash, used once.

A code is a random nonce; its digits are an HMAC of the nonce under the server's code key, and
what is stored (and sent to the controller with ``set_code``) is an HMAC of the digits under the
controller's own key, derived from the same code key (docs/mqtt.md, ``set_code``). The code key
lives in the settings, never in the database, so a copy of the database gives no code back.
Wrong codes are counted per bank and per client address by :mod:`lockers.keypad_lock`.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core import clock, codes
from core.codes import code_key
from lockers.models import Compartment, LockerBank, PickupCode

DEFAULT_VALIDITY = dt.timedelta(hours=72)


def hash_for(session: Session, bank: LockerBank, digits: str) -> str:
    """What ``digits`` is kept as for ``bank`` (and what its controller compares with)."""
    return codes.keyed_pin_hash(codes.controller_key(code_key(session), bank.controller), digits)


def digits_of(session: Session, code: PickupCode) -> str:
    """The six digits of ``code``: only for its recipient's page and notice."""
    return codes.pickup_digits(code_key(session), code.nonce)


def _live(bank_id: int | None = None) -> list[object]:
    conditions: list[object] = [
        PickupCode.used_at.is_(None),
        PickupCode.revoked_at.is_(None),
        PickupCode.valid_until > clock.now(),
    ]
    if bank_id is not None:
        conditions.append(
            PickupCode.compartment_id.in_(
                select(Compartment.id).where(Compartment.bank_id == bank_id)
            )
        )
    return conditions


def issue_code(
    session: Session,
    compartment: Compartment,
    consignment_id: int,
    valid_for: dt.timedelta = DEFAULT_VALIDITY,
    collector: str | None = None,
) -> tuple[PickupCode, str]:
    """A new code for ``compartment``; earlier codes for it stop working. Returns the code and
    its digits, which go to the recipient (or to ``collector``, the colleague they let collect);
    no two live codes of a bank share their digits, so a code typed on the bank's screen names
    one compartment."""
    revoke(session, compartment)
    taken = set(
        session.scalars(select(PickupCode.code_hash).where(*_live(compartment.bank_id))).all()
    )
    while True:
        nonce = secrets.token_hex(16)
        digits = codes.pickup_digits(code_key(session), nonce)
        hashed = hash_for(session, compartment.bank, digits)
        if hashed not in taken:
            break
    code = PickupCode(
        compartment_id=compartment.id,
        consignment_id=consignment_id,
        nonce=nonce,
        code_hash=hashed,
        valid_until=clock.now() + valid_for,
        collector=collector,
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
        .where(PickupCode.compartment_id == compartment.id, *_live())
        .order_by(PickupCode.id.desc())
        .limit(1)
    )


def find_code(session: Session, bank: LockerBank, digits: str) -> PickupCode | None:
    """The live code of ``bank`` whose digits are ``digits``, if any (compared in constant
    time once found by its keyed hash)."""
    if not codes.is_pin(digits):
        return None
    hashed = hash_for(session, bank, digits)
    found = session.scalar(
        select(PickupCode).where(PickupCode.code_hash == hashed, *_live(bank.id)).limit(1)
    )
    if found is None or not hmac.compare_digest(found.code_hash, hashed):
        return None
    return found


def matches(session: Session, code: PickupCode | None, digits: str) -> bool:
    """Whether ``digits`` is ``code``."""
    if code is None or not codes.is_pin(digits):
        return False
    return hmac.compare_digest(hash_for(session, code.compartment.bank, digits), code.code_hash)

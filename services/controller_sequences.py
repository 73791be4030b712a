"""An administrator starts a replaced controller's sequence afresh, with a reason in the audit
log: the bridge then takes seq 1.. again as new events (docs/mqtt.md, contract v1.1)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.errors import N_, NotFound, Problem, ValidationFailed
from core.users import User
from firmware_bridge.models import ControllerSequence
from firmware_bridge.sequence import current_sequence, start_afresh
from lockers.compartments import bank_by_controller
from services import audit

ACTION = "locker.sequence_afresh"


def start_sequence_afresh(
    session: Session,
    actor: User,
    controller: str,
    reason: str,
    label_key: str,
    address: str | None = None,
) -> ControllerSequence:
    """Start ``controller``'s sequence as a new generation and record why, and where the old
    one ended, in the audit log. The caller checked that ``actor`` is an administrator."""
    bank = bank_by_controller(session, controller)
    if bank is None:
        raise NotFound(
            "bank_not_found", N_("No locker bank %(controller)s."), controller=controller
        )
    reason = reason.strip()
    if not reason:
        raise ValidationFailed([Problem("reason", N_("Say why the sequence starts afresh."))])
    old = current_sequence(session, controller)
    ended = {"ended_at_seq": old.contiguous, "highest_seen": old.highest}
    sequence = start_afresh(session, bank, label_key)
    audit.record(
        session,
        actor,
        ACTION,
        controller,
        {"reason": reason, **ended, "generation": sequence.generation},
        address,
    )
    return sequence

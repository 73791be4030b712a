"""Uncollected results: reminders at 24 h and 48 h, a last notice, then the service desk.

The job looks at every live pickup code whose result still sits in its compartment. Reminders
and the last notice are announced as :class:`~lockers.events.PickupReminderDue` (the notices
are written by whoever listens); when the window ends the code is revoked, a clerk is asked
(an ``uncollected`` alert) to take the result to the service desk, the compartment is opened
for them through :class:`~lockers.events.CompartmentReleaseRequested`, and the recipient and
the submitter are told where it now is through :class:`~lockers.events.MovedToDesk` (once: a
revoked code is not looked at again).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock
from core.events import publish
from courier.models import Consignment
from lockers.alerts import raise_alert
from lockers.events import CompartmentReleaseRequested, MovedToDesk, PickupReminderDue
from lockers.models import AlertKind, Compartment, PickupCode

REMINDERS = ((dt.timedelta(hours=48), 2, "48h"), (dt.timedelta(hours=24), 1, "24h"))
#: The last notice goes out this long before the window closes.
FINAL_NOTICE_BEFORE = dt.timedelta(hours=12)


def remind_uncollected(session: Session) -> int:
    """Send what is due for every uncollected result; returns how many results moved on."""
    now = clock.now()
    waiting = session.execute(
        select(PickupCode, Compartment)
        .join(Compartment, PickupCode.compartment_id == Compartment.id)
        .where(
            PickupCode.used_at.is_(None),
            PickupCode.revoked_at.is_(None),
            Compartment.consignment_id == PickupCode.consignment_id,
        )
        .order_by(PickupCode.id)
    ).all()
    moved = 0
    for code, compartment in waiting:
        if code.valid_until <= now:
            _window_ended(session, code, compartment, now)
        elif code.valid_until - now <= FINAL_NOTICE_BEFORE:
            if code.final_notice_at is not None:
                continue
            code.final_notice_at = now
            _announce(session, code, compartment, "final")
        else:
            age = now - code.created_at
            due = next((r for r in REMINDERS if age >= r[0] and code.reminders_sent < r[1]), None)
            if due is None:
                continue
            code.reminders_sent = due[1]
            _announce(session, code, compartment, due[2])
        moved += 1
    session.flush()
    return moved


def _announce(session: Session, code: PickupCode, compartment: Compartment, stage: str) -> None:
    publish(
        session,
        PickupReminderDue(
            consignment_id=code.consignment_id,
            pickup_code_id=code.id,
            stage=stage,
            controller=compartment.bank.controller,
            compartment=compartment.number,
            valid_until=code.valid_until,
        ),
    )


def _window_ended(
    session: Session, code: PickupCode, compartment: Compartment, now: dt.datetime
) -> None:
    code.revoked_at = now
    consignment = session.get(Consignment, code.consignment_id)
    tracking = consignment.tracking_code if consignment else str(code.consignment_id)
    raise_alert(
        session,
        AlertKind.UNCOLLECTED,
        f"{tracking} uncollected: take it from compartment {compartment.number} "
        "to the service desk",
        bank=compartment.bank,
        compartment_number=compartment.number,
        cause=f"uncollected:{code.id}",
    )
    publish(
        session,
        CompartmentReleaseRequested(
            controller=compartment.bank.controller,
            compartment=compartment.number,
            consignment_id=code.consignment_id,
            reason="uncollected: to the service desk",
        ),
    )
    publish(
        session,
        MovedToDesk(
            consignment_id=code.consignment_id,
            pickup_code_id=code.id,
            valid_until=code.valid_until,
        ),
    )

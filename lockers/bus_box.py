"""The bus box: a locker bank on a shuttle, whose reader sees envelopes go in and come out.

What the box saw is announced (:class:`lockers.events.BusBoxReported`); whether it agrees with
the departure's manifest and the vehicle's timetable is for the routes to say (``services``
wires the two together), since lockers know nothing of trips.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from core.events import publish
from courier.consignments import find_consignment
from lockers.events import BusBoxReported
from lockers.models import Compartment

#: The events of a bus box that say something about the trip.
REPORTED = ("door_opened", "deposit", "removal")


def box_saw(
    session: Session,
    item: Compartment,
    what: str,
    label_text: str | None,
    *,
    label_key: str,
    device_at: dt.datetime,
) -> str | None:
    """Announce what bus box compartment ``item`` saw; returns the tracking code of the envelope
    whose label the reader read. A forged or unknown label raises (the caller records the
    refusal); a deposit or removal without a readable label is announced without an envelope."""
    consignment = find_consignment(session, label_text, label_key) if label_text else None
    publish(
        session,
        BusBoxReported(
            controller=item.bank.controller,
            what=what,
            compartment=item.number,
            consignment_id=consignment.id if consignment else None,
            device_at=device_at,
        ),
    )
    return consignment.tracking_code if consignment else None

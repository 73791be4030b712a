"""The tracking timeline: every hop so far, the hops ahead, the due time."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from courier.custody import situation
from courier.models import Consignment, CustodyEvent
from courier.states import Kind, happy_path


@dataclass(frozen=True)
class Timeline:
    consignment: Consignment
    events: list[CustodyEvent]
    ahead: list[Kind]


def timeline(session: Session, consignment: Consignment) -> Timeline:
    """The events of ``consignment`` in device-time order and the ordinary hops still ahead."""
    events = list(
        session.scalars(
            select(CustodyEvent)
            .where(CustodyEvent.consignment_id == consignment.id)
            .options(
                joinedload(CustodyEvent.actor),
                joinedload(CustodyEvent.location),
                joinedload(CustodyEvent.campus),
            )
            .order_by(CustodyEvent.device_at, CustodyEvent.id)
        )
    )
    return Timeline(consignment, events, happy_path(situation(consignment)))

"""What the routes announce to the rest of the system."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.events import DomainEvent


@dataclass(frozen=True)
class LoadNotSeenInBox(DomainEvent):
    """An envelope scanned as loaded on a departure was never seen going into the vehicle's
    bus box (``controller``) by the time the bus left the stop (``location_id``)."""

    manifest_id: int
    consignment_id: int
    tracking_code: str
    controller: str
    vehicle: str
    trip: str
    departs_at: dt.datetime
    location_id: int

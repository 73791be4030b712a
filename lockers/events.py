"""What lockers announce to the rest of the system."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.events import DomainEvent


@dataclass(frozen=True)
class PickupCodeIssued(DomainEvent):
    """A result waits in a pickup compartment. ``digits`` is the only copy of the code: the
    recipient's notice needs it; nothing may store it."""

    consignment_id: int
    controller: str
    compartment: int
    salt: str
    code_hash: str
    valid_until: dt.datetime
    digits: str

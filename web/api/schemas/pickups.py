"""What ``GET /api/pickups`` answers."""

from __future__ import annotations

import msgspec


class PickupLocker(msgspec.Struct):
    controller: str
    name: str
    place: str


class Pickup(msgspec.Struct):
    """A result waiting in a pickup locker, with the six-digit code that opens it."""

    tracking_code: str
    service_item: str
    locker: PickupLocker
    compartment: int
    code: str
    valid_until: str

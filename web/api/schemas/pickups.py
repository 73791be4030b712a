"""What ``GET /api/pickups`` answers, and what letting a colleague collect takes."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta


class PickupLocker(msgspec.Struct):
    controller: str
    name: str
    place: str


class Pickup(msgspec.Struct):
    """A result waiting in a pickup locker, with the six-digit code that opens it (``null``
    once the code went to ``collector``, the colleague the caller let collect)."""

    tracking_code: str
    service_item: str
    locker: PickupLocker
    compartment: int
    code: str | None
    collector: str | None
    valid_until: str


class Colleague(msgspec.Struct):
    """Who collects instead: a name and a mobile number that can take an SMS."""

    name: Annotated[str, Meta(min_length=1, max_length=100)]
    phone: Annotated[str, Meta(min_length=1, max_length=32)]

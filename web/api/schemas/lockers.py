"""Locker banks, their device events and the dead letters of the MQTT contract (admin)."""

from __future__ import annotations

from typing import Any

import msgspec

from web.api.schemas.common import Seq


class Compartment(msgspec.Struct):
    number: int
    size: str
    state: str
    tracking_code: str | None
    locked_until: str | None


class Bank(msgspec.Struct):
    controller: str
    name: str
    campus: str
    kind: str
    presence: str
    last_seen: str | None
    boot: int | None
    firmware: str | None
    compartments: list[Compartment]


class Banks(msgspec.Struct):
    banks: list[Bank]


class DeviceEventsQuery(msgspec.Struct):
    after_seq: Seq = 0


class DeviceEvent(msgspec.Struct):
    seq: int
    boot: int
    type: str
    ts: str
    received_at: str
    data: dict[str, Any]
    applied: bool
    result: str


class DeviceEvents(msgspec.Struct):
    events: list[DeviceEvent]


class DeadLetter(msgspec.Struct):
    id: int
    topic: str
    reason: str
    controller: str | None
    seq: int | None
    received_at: str
    payload: str


class DeadLetters(msgspec.Struct):
    dead_letters: list[DeadLetter]

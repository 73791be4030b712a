"""Locker banks, their device events and the dead letters of the MQTT contract (admin)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta

from web.api.schemas.common import MAX_ID, Id, Seq, text

#: Dead letters per page at the most.
LETTERS_PAGE = 100


class Compartment(msgspec.Struct):
    number: int
    size: str
    state: str
    tracking_code: str | None


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


#: A generation of a controller's sequence (1 until it is first started afresh).
Generation = Annotated[int, Meta(ge=1, le=MAX_ID)]


class DeviceEventsQuery(msgspec.Struct):
    """``generation``: the controller's current one unless named."""

    after_seq: Seq = 0
    generation: Generation | None = None


class DeviceEvent(msgspec.Struct):
    generation: int
    seq: int
    boot: int
    type: str
    ts: str
    received_at: str
    data: dict[str, Any]
    applied: bool
    result: str


class DeviceEvents(msgspec.Struct):
    generation: int
    events: list[DeviceEvent]


class SequenceAfresh(msgspec.Struct):
    """Why the sequence starts afresh (a replaced board, say): kept in the audit log."""

    reason: text(200, min_length=1)  # type: ignore[valid-type]


class Sequence(msgspec.Struct):
    """A controller's sequence: its generation and the seq up to which all is stored."""

    controller: str
    generation: int
    contiguous: int


class DeadLetter(msgspec.Struct):
    id: int
    topic: str
    reason: str
    controller: str | None
    seq: int | None
    received_at: str
    payload: str


class DeadLettersQuery(msgspec.Struct):
    """``before``: the ``next_before`` of the previous page."""

    limit: Annotated[int, Meta(ge=1, le=LETTERS_PAGE)] = LETTERS_PAGE
    before: Id | None = None


class DeadLetters(msgspec.Struct):
    dead_letters: list[DeadLetter]
    next_before: int | None

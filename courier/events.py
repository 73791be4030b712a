"""What the courier announces to the rest of the system (notices, routes, dashboards)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.events import DomainEvent
from courier.models import Level
from courier.states import Kind, State


@dataclass(frozen=True)
class HopRecorded(DomainEvent):
    """A custody event was appended (not a duplicate, not refused)."""

    consignment_id: int
    tracking_code: str
    kind: Kind
    state: State
    at: dt.datetime
    late: bool
    location_id: int | None = None


@dataclass(frozen=True)
class MaterialsRequested(DomainEvent):
    """A clerk found materials missing or wrong: the submitter is told once, with the full list."""

    consignment_id: int
    request_id: int
    submitter_id: int
    items: tuple[str, ...]
    note: str
    #: The supplement envelope's code and the page to print its label from (补正 by courier).
    supplement_code: str = ""
    supplement_url: str = ""


@dataclass(frozen=True)
class SlaAlerted(DomainEvent):
    """A consignment with an agent used 80 % of its time limit (``warning``) or passed it
    (``breach``); told to the owner clerk and the department."""

    consignment_id: int
    level: Level
    clerk_id: int | None
    department_id: int
    due_at: dt.datetime


@dataclass(frozen=True)
class ResultAtDesk(DomainEvent):
    """The result waits at the service desk. ``digits`` is the only copy of the handover code:
    the recipient's notice needs it; nothing may store it."""

    consignment_id: int
    campus_id: int
    digits: str

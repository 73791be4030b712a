"""Consignments: submitting one, reading it, its custody events, label and photos."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from catalog.models import Campus, Location, ServiceItem
from core.users import User
from courier.models import Consignment, Priority
from courier.states import Kind
from web.api.schemas.common import Id, column_text, text

#: Pages and documents of one consignment: a courier's envelope, not a lorry.
MAX_SHEETS = 10_000

Sheets = Annotated[int, Meta(ge=1, le=MAX_SHEETS)]
CampusCode = column_text(Campus.code, min_length=1)


class Recipient(msgspec.Struct):
    """Who collects it: the submitter (``self``) or the named person with a phone."""

    self_: bool = msgspec.field(default=False, name="self")
    name: column_text(Consignment.recipient_name) = ""  # type: ignore[valid-type]
    phone: column_text(Consignment.recipient_phone) = ""  # type: ignore[valid-type]


#: ``self: true``, or a name (a phone too, to be told when it is ready): never ``{}``.
ONE_RECIPIENT = {
    "anyOf": [
        {"required": ["self"], "properties": {"self": {"const": True}}},
        {"required": ["name"], "properties": {"name": {"pattern": "\\S"}}},
    ]
}


class Contents(msgspec.Struct):
    pages: Sheets = 1
    documents: Sheets = 1
    contains_originals: bool = False
    materials: Annotated[list[text(200)], Meta(max_length=50)] = []  # type: ignore[valid-type]


class NewConsignment(msgspec.Struct):
    """``pickup_campus`` null: the origin campus; ``origin_campus`` null: the user's campus.
    ``accept_later`` submits although no shuttle arrives within 7 days (the 422 ``unreachable``
    error names the earliest date)."""

    service_item: column_text(ServiceItem.code, min_length=1)  # type: ignore[valid-type]
    recipient: Annotated[Recipient, Meta(extra_json_schema=ONE_RECIPIENT)] | None = None
    pickup_campus: CampusCode | None = None  # type: ignore[valid-type]
    origin_campus: CampusCode | None = None  # type: ignore[valid-type]
    contents: Contents = msgspec.field(default_factory=Contents)
    priority: Priority = Priority.NORMAL
    accept_later: bool = False


class Submitted(msgspec.Struct):
    tracking_code: str
    state: str
    due_at: str
    due_provisional: bool
    eta: str | None
    label_url: str


class Summary(msgspec.Struct):
    tracking_code: str
    state: str
    service_item: str
    due_at: str
    created_at: str


class Mine(msgspec.Struct):
    consignments: list[Summary]


class Place(msgspec.Struct):
    code: str
    name: str


class Event(msgspec.Struct):
    kind: str
    state: str
    at: str
    recorded_at: str
    source: str
    campus: str | None
    location: Place | None
    late: bool
    actor: str | None
    device: str | None
    notes: str
    photo_url: str | None
    #: The department a handover or a return concerns (its code), if any.
    department: str | None = None


class JointStep(msgspec.Struct):
    """One department of a 联审联办 consignment, in order: ``returned`` (done), ``at_department``
    (has the papers now), ``next`` (the clerk hands them over next) or ``later``."""

    number: int
    department: str
    status: str


class Events(msgspec.Struct):
    events: list[Event]


class Leg(msgspec.Struct):
    leg: str
    trip: str
    line: str
    from_: str = msgspec.field(name="from")
    to: str
    departs_at: str
    arrives_at: str
    status: str


class EtaChange(msgspec.Struct):
    at: str
    old_eta: str | None
    new_eta: str | None
    reason: str


class Route(msgspec.Struct):
    """``eta_of`` says what the ETA is of: sorted at the department or ready for pickup."""

    origin_campus: str
    department_campus: str
    pickup_campus: str
    ahead: list[str]
    eta_of: str | None
    note: str | None
    legs: list[Leg]
    eta_changes: list[EtaChange]


class ItemRef(msgspec.Struct):
    code: str
    name: str


class RecipientOut(msgspec.Struct):
    name: str
    phone: str | None


class ContentsOut(msgspec.Struct):
    pages: int
    documents: int
    contains_originals: bool


class Detail(msgspec.Struct):
    tracking_code: str
    state: str
    state_since: str
    service_item: ItemRef
    department: str
    due_at: str
    due_provisional: bool
    eta: str | None
    damaged: bool
    events: list[Event]
    route: Route
    recipient: RecipientOut
    submitter: str
    contents: ContentsOut
    priority: str
    label_url: str
    #: 联审联办: the departments in turn (empty when one department handles it).
    joint_steps: list[JointStep] = []


class NewEvent(msgspec.Struct):
    """``id`` makes a retry idempotent; ``at`` is ISO 8601 (campus time without an offset)."""

    kind: Kind
    id: text(100) | None = None  # type: ignore[valid-type]
    at: text(40) | None = None  # type: ignore[valid-type]
    location: column_text(Location.code) | None = None  # type: ignore[valid-type]
    notes: text(2000) = ""  # type: ignore[valid-type]
    photo_id: Id | None = None
    #: For ``reassigned``: the login of the clerk who takes over, and why.
    to: column_text(User.login) | None = None  # type: ignore[valid-type]
    reason: text(500) = ""  # type: ignore[valid-type]
    #: For ``materials_requested``: every missing material by name, and anything else.
    missing: list[text(200)] = []  # type: ignore[valid-type]
    other: text(500) = ""  # type: ignore[valid-type]


class Outcome(msgspec.Struct):
    ok: bool
    state: str
    duplicate: bool
    late: bool
    code: str | None
    reason: str | None


class LabelQuery(msgspec.Struct):
    format: Literal["thermal", "a6", "sheet"] = "thermal"


class StoredPhoto(msgspec.Struct):
    id: int
    size: int
    content_type: str


class Metrics(msgspec.Struct):
    """What a monitor alerts on: dead letters by kind of reason, open sequence gaps, how long
    the oldest event has waited behind a gap, notices by status, refused codes and scans."""

    forged_codes_since_start: int
    forged_scans_total: int
    scans_total: int
    dead_letters_total: int
    dead_letters_by_reason: dict[str, int]
    open_gaps: int
    oldest_unacked_event_age_seconds: float
    notices_by_status: dict[str, int]

"""Courier tables: consignments, their append-only custody events, scans and photos."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from catalog.models import Campus, Department, Location, ServiceItem
from core import clock
from core.db import BIG_ID, Base, value_enum
from core.users import User
from courier.states import Kind, Leg, State


class Priority(enum.StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"


class Source(enum.StrEnum):
    SCAN = "scan"
    MQTT = "mqtt"
    WEB = "web"
    SYSTEM = "system"


class ResultKind(enum.StrEnum):
    """What comes back to the recipient."""

    SIGNED_FORM = "signed_form"
    STAMPED_COPY = "stamped_copy"
    CERTIFICATE = "certificate"
    RETURNED_ORIGINAL = "returned_original"


class Level(enum.StrEnum):
    """The two SLA alerts."""

    WARNING = "warning"
    BREACH = "breach"


class Consignment(Base):
    """One envelope or folder of paper, submitted for one service item."""

    __tablename__ = "consignments"
    __table_args__ = (
        # The SLA scan's two range queries.
        Index("ix_consignments_sla_warn", "sla_phase", "sla_warn_at"),
        Index("ix_consignments_sla_due", "sla_phase", "due_at"),
        # The dashboard's SLA figures of a period.
        Index("ix_consignments_result_ready_at", "result_ready_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(16), unique=True)
    submitter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    recipient_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    recipient_name: Mapped[str] = mapped_column(String(100))
    recipient_phone: Mapped[str | None] = mapped_column(String(32))
    service_item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"))
    origin_campus_id: Mapped[int] = mapped_column(ForeignKey("campuses.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    pickup_campus_id: Mapped[int] = mapped_column(ForeignKey("campuses.id"))
    current_campus_id: Mapped[int | None] = mapped_column(ForeignKey("campuses.id"))
    #: Where the ride it is on (or waits for) ends to change bus, as planning last found; an
    #: unload there is a transfer, not a misroute. Kept by routes, read by the state machine.
    transfer_campus_id: Mapped[int | None] = mapped_column(ForeignKey("campuses.id"))
    #: The leg after that change of bus, as people read it ("NX-1030 10:30 NH-STOP → XL-STOP").
    transfer_next: Mapped[str] = mapped_column(String(120), default="", server_default="")
    pages: Mapped[int] = mapped_column(default=1)
    documents: Mapped[int] = mapped_column(default=1)
    contains_originals: Mapped[bool] = mapped_column(default=False)
    materials_checked: Mapped[list[str]] = mapped_column(JSON, default=list)
    priority: Mapped[Priority] = mapped_column(value_enum(Priority, 8), default=Priority.NORMAL)
    due_at: Mapped[dt.datetime]
    due_provisional: Mapped[bool] = mapped_column(default=False)
    state: Mapped[State] = mapped_column(value_enum(State, 24), index=True)
    state_since: Mapped[dt.datetime]
    leg: Mapped[Leg] = mapped_column(default=Leg.OUTBOUND)
    damaged: Mapped[bool] = mapped_column(default=False)
    #: Device time of the newest event that moved the state; older events arrive "late".
    last_event_at: Mapped[dt.datetime]
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    #: The clerk who accepted it first and owns it until it is closed (first-ask responsibility).
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    accepted_at: Mapped[dt.datetime | None]
    #: 80 % of the time limit used (excluding pauses): the inbox turns amber, the clerk is warned.
    sla_warn_at: Mapped[dt.datetime | None]
    #: Where the SLA clock stands: "" running, "warning" and "breach" once alerted (each alert is
    #: written once), "done" when the result is ready or the consignment ended before.
    sla_phase: Mapped[str] = mapped_column(String(8), default="", server_default="")
    #: Set while the SLA clock is stopped (waiting for the submitter's materials).
    sla_paused_since: Mapped[dt.datetime | None]
    sla_paused_seconds: Mapped[int] = mapped_column(default=0, server_default="0")
    #: When the time limit started to run: at 受理 (the agent's acceptance) unless the item says
    #: at submission; before it, the envelope's time is transit, not handling.
    sla_started_at: Mapped[dt.datetime | None]
    result_kind: Mapped[ResultKind | None] = mapped_column(value_enum(ResultKind, 24))
    result_ready_at: Mapped[dt.datetime | None]
    #: Who took the result at the service desk (a locker pickup needs no name: the code is proof).
    collected_by: Mapped[str | None] = mapped_column(String(100))
    closed_at: Mapped[dt.datetime | None]
    #: The service desk's handover code, as HMAC-SHA256 under the desk's key (core.codes.desk_key).
    desk_code_hash: Mapped[str | None] = mapped_column(String(64))
    #: A supplement (补正) carries materials a clerk asked for to this consignment's desk; its
    #: arrival there resumes the original's SLA clock.
    supplement_of_id: Mapped[int | None] = mapped_column(ForeignKey("consignments.id"), index=True)
    #: 联审联办: the ids of the departments the papers pass through in order, copied from the
    #: service item at submission (a later catalog edit does not reroute papers on their way).
    joint_departments: Mapped[list[int]] = mapped_column(
        JSON, default=list, server_default=text("'[]'")
    )
    #: How many of those departments have handled the papers and given them back.
    joint_done: Mapped[int] = mapped_column(default=0, server_default="0")

    submitter: Mapped[User] = relationship(foreign_keys=[submitter_id])
    recipient_user: Mapped[User | None] = relationship(foreign_keys=[recipient_user_id])
    service_item: Mapped[ServiceItem] = relationship()
    origin_campus: Mapped[Campus] = relationship(foreign_keys=[origin_campus_id])
    department: Mapped[Department] = relationship()
    pickup_campus: Mapped[Campus] = relationship(foreign_keys=[pickup_campus_id])
    current_campus: Mapped[Campus | None] = relationship(foreign_keys=[current_campus_id])
    transfer_campus: Mapped[Campus | None] = relationship(foreign_keys=[transfer_campus_id])
    agent: Mapped[User | None] = relationship(foreign_keys=[agent_id])
    supplement_of: Mapped[Consignment | None] = relationship(
        foreign_keys=[supplement_of_id], remote_side=[id]
    )
    events: Mapped[list[CustodyEvent]] = relationship(
        back_populates="consignment",
        order_by="[CustodyEvent.device_at, CustodyEvent.id]",
        viewonly=True,
    )


class CustodyEvent(Base):
    """One hop in the chain of custody. Rows are only ever added (see the guards below).

    On PostgreSQL the table is partitioned by month of ``device_at`` (migration 0029): the
    primary key there is ``(id, device_at)``, ``id`` is filled by the database alone and the
    table ``custody_event_keys`` keeps ids and idempotency keys unique over all months."""

    __tablename__ = "custody_events"
    __table_args__ = (
        Index(None, "consignment_id", "device_at", "id"),
        # The dashboard's rides of a period: load and unload scans by time.
        Index("ix_custody_events_kind_device_at", "kind", "device_at"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    consignment_id: Mapped[int] = mapped_column(ForeignKey("consignments.id"))
    kind: Mapped[Kind] = mapped_column(value_enum(Kind, 24))
    device_at: Mapped[dt.datetime]
    server_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    campus_id: Mapped[int | None] = mapped_column(ForeignKey("campuses.id"))
    device: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[Source] = mapped_column(value_enum(Source, 8))
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("photos.id"))
    #: The department a handover or a return concerns (联审联办 has several in turn).
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    #: The state after this event; equal to the state before for annotations and late events.
    state_after: Mapped[State] = mapped_column(value_enum(State, 24))
    #: Arrived with a device time older than an event already applied: kept, state unchanged.
    late: Mapped[bool] = mapped_column(default=False)

    consignment: Mapped[Consignment] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
    location: Mapped[Location | None] = relationship()
    campus: Mapped[Campus | None] = relationship()
    department: Mapped[Department | None] = relationship()


class ScanRecord(Base):
    """Every scan a scanner sent, accepted or refused, keyed by the scanner's own UUID."""

    __tablename__ = "scan_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    scan_id: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_text: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(16))
    location_code: Mapped[str | None] = mapped_column(String(24))
    scanned_at: Mapped[dt.datetime]
    consignment_id: Mapped[int | None] = mapped_column(ForeignKey("consignments.id"), index=True)
    ok: Mapped[bool]
    state: Mapped[State | None] = mapped_column(value_enum(State, 24))
    reason_code: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(300))
    reason_params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)


class MaterialsRequest(Base):
    """Everything missing or wrong, asked of the submitter once; the SLA clock stops meanwhile."""

    __tablename__ = "materials_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    consignment_id: Mapped[int] = mapped_column(ForeignKey("consignments.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[dt.datetime]
    #: The materials of the service item ticked as missing or wrong, by name.
    items: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[dt.datetime | None]
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Why an administrator asked a second time (the first request must list everything).
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: The supplement envelope the submitter sends the materials in (its label links back here).
    supplement_id: Mapped[int | None] = mapped_column(ForeignKey("consignments.id"))

    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    supplement: Mapped[Consignment | None] = relationship(foreign_keys=[supplement_id])


class SlaAlert(Base):
    """A warning (80 % of the time used) or a breach, written once per consignment and level for
    the owner clerk and the department."""

    __tablename__ = "sla_alerts"
    __table_args__ = (UniqueConstraint("consignment_id", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consignment_id: Mapped[int] = mapped_column(ForeignKey("consignments.id"))
    level: Mapped[Level] = mapped_column(value_enum(Level, 8))
    clerk_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    due_at: Mapped[dt.datetime]
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    acknowledged_at: Mapped[dt.datetime | None]

    consignment: Mapped[Consignment] = relationship()


class Photo(Base):
    """A photo attached to an event (damage, say); kept in the database with its checksum."""

    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int]
    height: Mapped[int]
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)


class ConsignmentRating(Base):
    """The submitter's 一事一评 of a consignment handled by 代办, once it was collected; on the
    five levels of 好差评 (5 best, 1 worst). The agent and department are those who handled it."""

    __tablename__ = "consignment_ratings"

    consignment_id: Mapped[int] = mapped_column(ForeignKey("consignments.id"), primary_key=True)
    rater_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    level: Mapped[int]
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    comment: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now, index=True)

    consignment: Mapped[Consignment] = relationship()


@event.listens_for(Session, "before_flush")
def _custody_is_append_only(session: Session, _context: Any, _instances: Any) -> None:
    for instance in list(session.dirty) + list(session.deleted):
        if isinstance(instance, CustodyEvent) and (
            instance in session.deleted or session.is_modified(instance)
        ):
            raise RuntimeError("custody events are append-only")

"""Routes tables: the network, timetables, plans with their ETA history, manifests."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.models import Location
from core import clock
from core.db import Base, value_enum
from courier.states import Leg


class DayType(enum.StrEnum):
    """On which days of the work calendar a trip or an emptying round runs."""

    WORKDAY = "workday"  # working days, make-up workdays included
    DAYOFF = "dayoff"  # weekends and public holidays
    DAILY = "daily"


class Season(enum.StrEnum):
    """Which timetable a trip belongs to; a date outside every vacation period is term time."""

    ALL = "all"
    TERM = "term"
    VACATION = "vacation"


class LegStatus(enum.StrEnum):
    PLANNED = "planned"
    LOADED = "loaded"
    DONE = "done"
    MISSED = "missed"


class ManifestAction(enum.StrEnum):
    COLLECT = "collect"  # empty it from a drop box before the departure
    LOAD = "load"  # put it into the bus box at the departure's stop
    UNLOAD = "unload"  # take it out at a later stop of the trip


class TimetableRevision(Base):
    """One row whose token changes with every change to the timetable: processes keep their
    planning snapshot for as long as the token they loaded it under is current."""

    __tablename__ = "timetable_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32))


class Stop(Base):
    """A place of the network: a shuttle stop or a locker site where envelopes change hands.

    A hub sorts envelopes: changing from one shuttle to another, or from a shuttle to the
    department's desk, takes ``transfer_minutes`` there.
    """

    __tablename__ = "route_stops"

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), unique=True)
    is_hub: Mapped[bool] = mapped_column(default=False)
    transfer_minutes: Mapped[int] = mapped_column(default=10)

    location: Mapped[Location] = relationship(lazy="joined")

    @property
    def code(self) -> str:
        return self.location.code

    @property
    def campus_id(self) -> int:
        return self.location.campus_id


class Vehicle(Base):
    """A bus or van that runs trips; its courier box may be a locker bank of kind bus box."""

    __tablename__ = "route_vehicles"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    #: The controller id of the bus box's locker bank (lockers are not imported here).
    bus_box: Mapped[str | None] = mapped_column(String(32))


class Line(Base):
    __tablename__ = "route_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")


class Trip(Base):
    """One run of a line, at the same times on every day it runs."""

    __tablename__ = "route_trips"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("route_lines.id"), index=True)
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("route_vehicles.id"), index=True)
    days: Mapped[DayType] = mapped_column(value_enum(DayType, 8), default=DayType.WORKDAY)
    season: Mapped[Season] = mapped_column(default=Season.ALL)

    line: Mapped[Line] = relationship(lazy="joined")
    vehicle: Mapped[Vehicle | None] = relationship(lazy="joined")
    stop_times: Mapped[list[StopTime]] = relationship(
        back_populates="trip",
        cascade="all, delete-orphan",
        order_by="StopTime.seq",
        lazy="selectin",
    )


class StopTime(Base):
    """A trip's call at a stop; times are minutes after local midnight (past 1440: next day)."""

    __tablename__ = "route_stop_times"
    __table_args__ = (UniqueConstraint("trip_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trip_id: Mapped[int] = mapped_column(ForeignKey("route_trips.id", ondelete="CASCADE"))
    seq: Mapped[int]
    stop_id: Mapped[int] = mapped_column(ForeignKey("route_stops.id"), index=True)
    arrive_minute: Mapped[int]
    depart_minute: Mapped[int]

    trip: Mapped[Trip] = relationship(back_populates="stop_times")
    stop: Mapped[Stop] = relationship(lazy="joined")


class ServicePeriod(Base):
    """A date range with a timetable of its own (a vacation); other dates are term time."""

    __tablename__ = "route_service_periods"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    season: Mapped[Season] = mapped_column(default=Season.VACATION)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)


class DropBoxEmptying(Base):
    """A round that empties a drop box: envelopes put in before ``minute`` leave with it and
    are at the ``stop`` ``carry_minutes`` later; later ones wait for the next round."""

    __tablename__ = "route_drop_box_emptying"
    __table_args__ = (UniqueConstraint("location_id", "minute", "days"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    stop_id: Mapped[int] = mapped_column(ForeignKey("route_stops.id"))
    minute: Mapped[int]
    days: Mapped[DayType] = mapped_column(value_enum(DayType, 8), default=DayType.WORKDAY)
    carry_minutes: Mapped[int] = mapped_column(default=10)

    location: Mapped[Location] = relationship(lazy="joined")
    stop: Mapped[Stop] = relationship(lazy="joined")


class RoutePlan(Base):
    """A consignment's planned way ahead and its current ETA.

    ``eta_kind`` says what the ETA is of: ``department`` (outbound: at the agent's desk, the
    return leg is planned when the result is ready) or ``pickup`` (ready in the pickup campus).
    """

    __tablename__ = "route_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    consignment_id: Mapped[int] = mapped_column(ForeignKey("consignments.id"), unique=True)
    eta: Mapped[dt.datetime | None]
    eta_kind: Mapped[str] = mapped_column(String(12), default="department")
    #: Message id and parameters of a note for people (no route, the agent's time limit, ...).
    note: Mapped[str] = mapped_column(String(300), default="")
    note_params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    collect_location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    collect_at: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime] = mapped_column(default=clock.now)

    legs: Mapped[list[PlanLeg]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanLeg.seq"
    )
    collect_location: Mapped[Location | None] = relationship()


class PlanLeg(Base):
    """One ride of a planned route: a trip on a service date, from a stop to a stop."""

    __tablename__ = "route_plan_legs"
    __table_args__ = (Index(None, "trip_id", "service_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("route_plans.id", ondelete="CASCADE"))
    seq: Mapped[int]
    leg: Mapped[Leg]
    trip_id: Mapped[int] = mapped_column(ForeignKey("route_trips.id"))
    service_date: Mapped[dt.date] = mapped_column(Date)
    board_stop_id: Mapped[int] = mapped_column(ForeignKey("route_stops.id"))
    alight_stop_id: Mapped[int] = mapped_column(ForeignKey("route_stops.id"))
    departs_at: Mapped[dt.datetime]
    arrives_at: Mapped[dt.datetime]
    status: Mapped[LegStatus] = mapped_column(value_enum(LegStatus, 8), default=LegStatus.PLANNED)

    plan: Mapped[RoutePlan] = relationship(back_populates="legs")
    # Loaded on use: re-planning after each hop needs only the times and the status.
    trip: Mapped[Trip] = relationship()
    board_stop: Mapped[Stop] = relationship(foreign_keys=[board_stop_id])
    alight_stop: Mapped[Stop] = relationship(foreign_keys=[alight_stop_id])


class EtaChange(Base):
    """One change of a consignment's ETA, with the reason as a message id and parameters."""

    __tablename__ = "route_eta_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    consignment_id: Mapped[int] = mapped_column(ForeignKey("consignments.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    old_eta: Mapped[dt.datetime | None]
    new_eta: Mapped[dt.datetime | None]
    reason: Mapped[str] = mapped_column(String(300))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Manifest(Base):
    """What one departure (a trip on a date) collects, loads and unloads; built shortly before
    it leaves, closed after it left."""

    __tablename__ = "route_manifests"
    __table_args__ = (UniqueConstraint("trip_id", "service_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trip_id: Mapped[int] = mapped_column(ForeignKey("route_trips.id"))
    service_date: Mapped[dt.date] = mapped_column(Date)
    departs_at: Mapped[dt.datetime]
    built_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    closed_at: Mapped[dt.datetime | None]

    trip: Mapped[Trip] = relationship(lazy="joined")
    items: Mapped[list[ManifestItem]] = relationship(
        back_populates="manifest", cascade="all, delete-orphan", order_by="ManifestItem.id"
    )


class ManifestItem(Base):
    __tablename__ = "route_manifest_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    manifest_id: Mapped[int] = mapped_column(
        ForeignKey("route_manifests.id", ondelete="CASCADE"), index=True
    )
    consignment_id: Mapped[int] = mapped_column(ForeignKey("consignments.id"), index=True)
    tracking_code: Mapped[str] = mapped_column(String(16))
    action: Mapped[ManifestAction] = mapped_column(value_enum(ManifestAction, 8))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    #: When it should happen: the round's emptying, the departure, the arrival.
    due_at: Mapped[dt.datetime]
    done_at: Mapped[dt.datetime | None]
    missed: Mapped[bool] = mapped_column(default=False)
    #: When the vehicle's bus box saw it: put in (load) or taken out at this stop (unload).
    box_seen_at: Mapped[dt.datetime | None]
    #: The hub was alerted that the bus box never saw this load (once, even if acknowledged).
    box_missing: Mapped[bool] = mapped_column(default=False)

    manifest: Mapped[Manifest] = relationship(back_populates="items")
    location: Mapped[Location] = relationship(lazy="joined")


class MissedReport(Base):
    """A consignment that was planned on a departure but not loaded: shown on the hub's page."""

    __tablename__ = "route_missed_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    stop_id: Mapped[int] = mapped_column(ForeignKey("route_stops.id"), index=True)
    consignment_id: Mapped[int] = mapped_column(ForeignKey("consignments.id"))
    tracking_code: Mapped[str] = mapped_column(String(16))
    trip_id: Mapped[int] = mapped_column(ForeignKey("route_trips.id"))
    departs_at: Mapped[dt.datetime]
    new_eta: Mapped[dt.datetime | None]
    reported_at: Mapped[dt.datetime] = mapped_column(default=clock.now)

    stop: Mapped[Stop] = relationship(lazy="joined")
    trip: Mapped[Trip] = relationship(lazy="joined")

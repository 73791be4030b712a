"""The bus box against the timetable and the departure manifests.

A vehicle's bus box (a locker bank on the bus, ``Vehicle.bus_box``) sees envelopes go in and come
out. An envelope seen going in confirms its load on the manifest of the trip the bus is on; one
seen coming out at the stop the manifest unloads it at confirms the unload. The box's door
opening away from every stop of the vehicle's trips, and a load the box never saw by the time the
bus left, are for the hub to look at: this module finds them, ``services.bus_box`` raises the
alerts (lockers are not imported here).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock
from core.events import publish
from routes.events import LoadNotSeenInBox
from routes.models import Manifest, ManifestAction, ManifestItem, Trip, Vehicle
from routes.network import Timetable, local_midnight
from routes.planner import Planner

#: How far from a stop's timetabled stay the box may open and still be at that stop: buses run
#: early and late, and a courier may open the box while it pulls in.
BOX_TOLERANCE = dt.timedelta(minutes=10)
#: Departures older than this are not looked at again: a box fitted to a bus (or a scheduler
#: that was down) does not raise alerts for loads from before.
LOOKBACK = dt.timedelta(days=1)


@dataclass(frozen=True)
class Call:
    """One stay of a vehicle at a stop on one service date."""

    trip_id: int
    trip_code: str
    service_date: dt.date
    stop_id: int
    location_id: int
    arrives_at: dt.datetime
    departs_at: dt.datetime


def vehicle_with_box(session: Session, controller: str) -> Vehicle | None:
    """The vehicle whose bus box is the bank of ``controller``, if one has it."""
    return session.scalar(select(Vehicle).where(Vehicle.bus_box == controller).limit(1))


def calls_near(
    session: Session, vehicle: Vehicle, at: dt.datetime, tolerance: dt.timedelta = BOX_TOLERANCE
) -> list[Call]:
    """The vehicle's stays at stops (arrival to departure, widened by ``tolerance``) that
    ``at`` falls in, nearest first. Trips of the day before count too: a trip may run past
    midnight."""
    trip_ids = set(session.scalars(select(Trip.id).where(Trip.vehicle_id == vehicle.id)))
    if not trip_ids:
        return []
    timetable = Timetable.of(session)
    local = at.astimezone(clock.SHANGHAI).date()
    first = local - dt.timedelta(days=1)
    calendar = Planner(session, timetable).calendar(first, 2)
    found = []
    for day in (first, local):
        midnight = local_midnight(day)
        for trip in timetable.trips_on(day, calendar):
            if trip.id not in trip_ids:
                continue
            for stop_id, arrive, depart in trip.calls:
                arrives = midnight + dt.timedelta(minutes=arrive)
                departs = midnight + dt.timedelta(minutes=depart)
                if arrives - tolerance <= at <= departs + tolerance:
                    found.append(
                        Call(
                            trip.id,
                            trip.code,
                            day,
                            stop_id,
                            timetable.stops[stop_id].location_id,
                            arrives.astimezone(dt.UTC),
                            departs.astimezone(dt.UTC),
                        )
                    )

    def distance(call: Call) -> dt.timedelta:
        if call.arrives_at <= at <= call.departs_at:
            return dt.timedelta(0)
        return min(abs(at - call.arrives_at), abs(at - call.departs_at))

    return sorted(found, key=distance)


def confirm(
    session: Session,
    calls: Iterable[Call],
    consignment_id: int,
    action: ManifestAction,
    at: dt.datetime,
) -> ManifestItem | None:
    """Mark the manifest item of ``action`` for the envelope as seen by the box at ``at``: the
    item of a departure the bus is on (``calls``) at the stop it stands at. Returns the item, or
    None when no such item waits (the envelope is not on this bus's manifest there)."""
    places = {(call.trip_id, call.service_date, call.location_id) for call in calls}
    if not places:
        return None
    items = session.execute(
        select(ManifestItem, Manifest.trip_id, Manifest.service_date)
        .join(Manifest, ManifestItem.manifest_id == Manifest.id)
        .where(
            ManifestItem.consignment_id == consignment_id,
            ManifestItem.action == action,
            ManifestItem.box_seen_at.is_(None),
            Manifest.trip_id.in_({place[0] for place in places}),
        )
        .order_by(ManifestItem.due_at)
    ).all()
    for item, trip_id, service_date in items:
        if (trip_id, service_date, item.location_id) in places:
            item.box_seen_at = at
            session.flush()
            return item  # type: ignore[no-any-return]
    return None


def flag_unseen_loads(session: Session, now: dt.datetime | None = None) -> list[ManifestItem]:
    """Loads scanned on a departure of a vehicle with a bus box that the box had not seen
    :data:`BOX_TOLERANCE` after the bus left: each is flagged once and announced
    (:class:`routes.events.LoadNotSeenInBox`). A load nobody scanned is a missed departure,
    which :func:`routes.manifests.close_departed` reports to the hub already."""
    now = now or clock.now()
    rows = session.execute(
        select(ManifestItem, Manifest, Vehicle)
        .join(Manifest, ManifestItem.manifest_id == Manifest.id)
        .join(Trip, Manifest.trip_id == Trip.id)
        .join(Vehicle, Trip.vehicle_id == Vehicle.id)
        .where(
            Vehicle.bus_box.is_not(None),
            ManifestItem.action == ManifestAction.LOAD,
            ManifestItem.box_seen_at.is_(None),
            ManifestItem.box_missing.is_(False),
            ManifestItem.done_at.is_not(None),
            ManifestItem.due_at < now - BOX_TOLERANCE,
            ManifestItem.due_at >= now - LOOKBACK,
            # Only what the box could have seen: the manifest existed before the bus left.
            Manifest.built_at <= ManifestItem.due_at,
        )
        .order_by(ManifestItem.id)
    ).all()
    flagged = []
    for item, manifest, vehicle in rows:
        item.box_missing = True
        flagged.append(item)
        publish(
            session,
            LoadNotSeenInBox(
                manifest_id=manifest.id,
                consignment_id=item.consignment_id,
                tracking_code=item.tracking_code,
                controller=vehicle.bus_box or "",
                vehicle=vehicle.code,
                trip=manifest.trip.code,
                departs_at=manifest.departs_at,
                location_id=item.location_id,
            ),
        )
    session.flush()
    return flagged

"""The bus box in the flow: what the box on a bus sees, held against the vehicle's timetable
and the departure manifests; what disagrees becomes an alert for the hub."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core import clock
from lockers.alerts import raise_alert
from lockers.compartments import bank_by_controller
from lockers.events import BusBoxReported
from lockers.models import AlertKind
from routes.bus_box import calls_near, confirm, vehicle_with_box
from routes.events import LoadNotSeenInBox
from routes.models import ManifestAction

ACTIONS = {"deposit": ManifestAction.LOAD, "removal": ManifestAction.UNLOAD}


def on_box_report(session: Session, event: BusBoxReported) -> None:
    """A door opening away from every stop of the vehicle's trips alerts the hub the box
    belongs to (one open alert per box and day); an envelope going in or coming out at a stop
    confirms its load or unload on that departure's manifest."""
    vehicle = vehicle_with_box(session, event.controller)
    if vehicle is None:
        # A box fitted to no vehicle has no timetable to be held against.
        return
    calls = calls_near(session, vehicle, event.device_at)
    if event.what == "door_opened":
        if calls:
            return
        local = event.device_at.astimezone(clock.SHANGHAI)
        bank = bank_by_controller(session, event.controller)
        raise_alert(
            session,
            AlertKind.BUS_BOX_DOOR,
            f"{vehicle.code} bus box {event.controller}: door {event.compartment} opened at "
            f"{local:%m-%d %H:%M}, not at a stop of the vehicle's trips",
            bank=bank,
            compartment_number=event.compartment,
            cause=f"bus_box_door:{event.controller}:{local:%Y-%m-%d}",
        )
        return
    action = ACTIONS.get(event.what)
    if action is not None and event.consignment_id is not None:
        confirm(session, calls, event.consignment_id, action, event.device_at)


def on_load_not_seen(session: Session, event: LoadNotSeenInBox) -> None:
    """Tell the hub the bus left from that a load scanned onto it never went into its box."""
    time = event.departs_at.astimezone(clock.SHANGHAI)
    raise_alert(
        session,
        AlertKind.BUS_BOX_NOT_SEEN,
        f"{event.tracking_code} scanned as loaded on {event.trip} {time:%m-%d %H:%M} "
        f"({event.vehicle}) but not seen in bus box {event.controller}",
        bank=bank_by_controller(session, event.controller),
        cause=f"bus_box_not_seen:{event.manifest_id}:{event.consignment_id}",
        location_id=event.location_id,
    )

"""A simulated bus box on a real Mosquitto, through the real bridge: the envelope the courier
puts into the box at the stop is confirmed on the departure's manifest."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core import clock
from firmware_bridge.simulator import SimulatedController
from lockers.compartments import add_bank
from lockers.models import BankKind, Size
from routes.models import Manifest, ManifestAction, ManifestItem, Stop, Trip, Vehicle
from routes.timetable import import_timetable
from tests import factories
from tests.firmware_bridge.conftest import eventually, key_of

pytestmark = pytest.mark.slow
CTL = "BUS-NHXL-1"


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@pytest.fixture
def on_the_manifest(write):
    """Bus NHXL-1 stands at NH-STOP now (a daily trip leaving in five minutes for XL-STOP) with
    its bus box; one envelope is on the departure's manifest. Returns its tracking code."""
    local = clock.now().astimezone(clock.SHANGHAI)
    minute = local.hour * 60 + local.minute
    if minute > 1420:
        pytest.skip("the demo trip cannot run past midnight in HH:MM")

    def setup(session):
        for code in ("NH", "XL"):
            factories.location(session, f"{code}-STOP", code)
        import_timetable(
            session,
            "trip,line,vehicle,days,season,stop,arrive,depart,bus_box\n"
            f"NX-NOW,NH-XL,NHXL-1,daily,all,NH-STOP,{hhmm(max(minute - 5, 0))},"
            f"{hhmm(minute + 5)},{CTL}\n"
            f"NX-NOW,NH-XL,NHXL-1,daily,all,XL-STOP,{hhmm(minute + 15)},,{CTL}\n",
        )
        nh = next(s for s in session.scalars(select(Stop)) if s.code == "NH-STOP")
        add_bank(session, CTL, "南湖—西岭通勤车 1 号车专递箱", BankKind.BUS_BOX, nh.location,
                 [Size.L, Size.L])  # fmt: skip
        assert session.scalar(select(Vehicle.bus_box)) == CTL
        envelope = factories.consignment(session)
        departs = clock.now() + dt.timedelta(minutes=5)
        manifest = Manifest(
            trip_id=session.scalar(select(Trip.id)),
            service_date=local.date(),
            departs_at=departs,
            built_at=clock.now(),
        )
        session.add(manifest)
        session.flush()
        session.add(
            ManifestItem(
                manifest_id=manifest.id, consignment_id=envelope.id,
                tracking_code=envelope.tracking_code, action=ManifestAction.LOAD,
                location_id=nh.location_id, due_at=departs,
            )
        )  # fmt: skip
        return envelope.tracking_code

    return write(setup)


def test_an_envelope_loaded_into_the_simulated_bus_box_is_confirmed_on_the_manifest(
    mosquitto, bridge, read, on_the_manifest, tmp_path
):
    box = SimulatedController(
        mosquitto.address, "NH", CTL, 2, tmp_path / "controllers", key_of(CTL)
    )
    box.start()
    try:
        assert box.connected.wait(10)
        box.load(1, [on_the_manifest])
        assert box.wait_acked()
        eventually(lambda: read(lambda s: s.scalar(select(ManifestItem.box_seen_at))) is not None)
    finally:
        box.stop()

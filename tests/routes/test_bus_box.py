"""The bus box in the flow: what the box on the bus sees confirms the manifest's loads and
unloads; a door opened between stops, or a scanned load the box never saw, alerts the hub."""

import itertools
import json

import pytest
from sqlalchemy import select

from core import clock
from core.db import commit
from core.outbox import OutboxMessage
from core.users import Role
from courier.models import Consignment
from firmware_bridge.ingest import handle
from lockers.compartments import add_bank
from lockers.models import Alert, AlertKind, BankKind, Size
from routes.bus_box import flag_unseen_loads
from routes.manifests import build_due
from routes.models import ManifestAction, Vehicle
from tests import factories
from tests.factories import LABEL_KEY
from tests.routes.test_manifests import planned, scan

CTL = "BUS-B1"


@pytest.fixture
def box(session, network):
    """Bus B1 (NX-1030: NH-STOP 10:30 → XL-STOP 11:10 on working days) carries a bus box."""
    bank = add_bank(
        session, CTL, "南湖—西岭通勤车专递箱", BankKind.BUS_BOX,
        network["NH-STOP"].location, [Size.L, Size.L],
    )  # fmt: skip
    session.scalar(select(Vehicle).where(Vehicle.code == "B1")).bus_box = CTL
    session.flush()
    return bank


@pytest.fixture
def manifest(session, box, at):
    """An envelope planned on NX-1030 of Tuesday 17 November 2026, its manifest built."""
    planned(session, at)
    with at(2026, 11, 17, 9, 50):
        [built] = build_due(session)
    return built


@pytest.fixture
def send(session, at):
    """The box reports an event at a local time (its own clock agreeing with the server's)."""
    seqs = itertools.count(1)

    def run(when, kind, data):
        with at(*when):
            body = {"v": 1, "ctl": CTL, "boot": 1, "seq": next(seqs), "type": kind,
                    "ts": clock.now().isoformat(), "data": data}  # fmt: skip
            handle(session, f"cc/v1/NH/{CTL}/evt", json.dumps(body).encode(), LABEL_KEY)

    return run


def item(manifest, action):
    return next(i for i in manifest.items if i.action == action)


def alerts(session, kind):
    return session.scalars(select(Alert).where(Alert.kind == kind)).all()


def test_an_envelope_put_into_the_box_at_the_stop_confirms_its_load(session, manifest, send):
    code = manifest.items[0].tracking_code
    send((2026, 11, 17, 10, 25), "deposit", {"compartment": 1, "label": code})
    assert item(manifest, ManifestAction.LOAD).box_seen_at is not None
    assert item(manifest, ManifestAction.UNLOAD).box_seen_at is None


def test_an_envelope_taken_out_where_the_manifest_unloads_it_confirms_the_unload(
    session, manifest, send
):
    code = manifest.items[0].tracking_code
    send((2026, 11, 17, 11, 12), "removal", {"compartment": 1, "label": code})
    assert item(manifest, ManifestAction.UNLOAD).box_seen_at is not None


def test_an_envelope_taken_out_at_another_stop_confirms_no_unload(session, manifest, send):
    code = manifest.items[0].tracking_code
    send((2026, 11, 17, 10, 28), "removal", {"compartment": 1, "label": code})
    assert item(manifest, ManifestAction.UNLOAD).box_seen_at is None


def test_the_door_opened_between_stops_alerts_the_hub_the_box_belongs_to(
    session, manifest, send, box
):
    send((2026, 11, 17, 10, 50), "door_opened", {"compartment": 2, "by": "card"})
    [alert] = alerts(session, AlertKind.BUS_BOX_DOOR)
    assert alert.location_id == box.location_id
    assert alert.message == (
        "B1 bus box BUS-B1: door 2 opened at 11-17 10:50, not at a stop of the vehicle's trips"
    )


def test_the_door_opened_at_a_stop_raises_no_alert(session, manifest, send):
    send((2026, 11, 17, 11, 8), "door_opened", {"compartment": 1, "by": "card"})
    assert alerts(session, AlertKind.BUS_BOX_DOOR) == []


def test_doors_opened_off_schedule_again_keep_one_open_alert_a_day(session, manifest, send):
    send((2026, 11, 17, 10, 50), "door_opened", {"compartment": 1, "by": "card"})
    send((2026, 11, 17, 10, 52), "door_opened", {"compartment": 2, "by": "card"})
    send((2026, 11, 17, 22, 0), "door_opened", {"compartment": 1, "by": "card"})
    assert len(alerts(session, AlertKind.BUS_BOX_DOOR)) == 1


def load_scanned(session, manifest, at):
    envelope = session.get(Consignment, item(manifest, ManifestAction.LOAD).consignment_id)
    with at(2026, 11, 17, 10, 20):
        scan(session, envelope, ("deposit", "NH-BOX"), ("collect", "NH-BOX"), ("load", "NH-STOP"))
        commit(session)
    return envelope


def test_a_scanned_load_the_box_never_saw_alerts_the_hub_it_left_from(
    session, manifest, at, network
):
    envelope = load_scanned(session, manifest, at)
    with at(2026, 11, 17, 10, 45):
        assert len(flag_unseen_loads(session)) == 1
    [alert] = alerts(session, AlertKind.BUS_BOX_NOT_SEEN)
    assert alert.location_id == network["NH-STOP"].location_id
    assert alert.message.startswith(f"{envelope.tracking_code} scanned as loaded on NX-1030")
    assert item(manifest, ManifestAction.LOAD).box_missing


def test_a_load_not_seen_is_alerted_once_even_after_it_was_acknowledged(session, manifest, at):
    load_scanned(session, manifest, at)
    with at(2026, 11, 17, 10, 45):
        flag_unseen_loads(session)
    alerts(session, AlertKind.BUS_BOX_NOT_SEEN)[0].acknowledged_at = clock.now()
    with at(2026, 11, 17, 10, 50):
        assert flag_unseen_loads(session) == []


def test_a_load_seen_in_the_box_raises_no_alert(session, manifest, at, send):
    envelope = load_scanned(session, manifest, at)
    send((2026, 11, 17, 10, 26), "deposit", {"compartment": 1, "label": envelope.tracking_code})
    with at(2026, 11, 17, 10, 45):
        assert flag_unseen_loads(session) == []


def test_a_load_not_seen_is_told_to_administrators_as_other_locker_alarms_are(
    session, manifest, at
):
    factories.user(session, "boss", Role.ADMIN, phone="+8613800000299")
    envelope = load_scanned(session, manifest, at)
    with at(2026, 11, 17, 10, 45):
        flag_unseen_loads(session)
    session.flush()
    [alarm] = [
        row
        for row in session.scalars(select(OutboxMessage))
        if row.payload.get("template") == "locker_alarm"
    ]
    assert alarm.recipient == "+8613800000299"
    assert envelope.tracking_code in alarm.payload["text"]

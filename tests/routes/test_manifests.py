import uuid

from sqlalchemy import select

from core.db import commit
from core.users import Role
from courier.models import CustodyEvent, Source
from courier.scans import Scan, process_scans
from courier.states import Kind
from routes.manifests import build_due, close_departed, run
from routes.models import ManifestAction, MissedReport
from routes.plans import history, plan_of, replan
from tests import factories
from tests.factories import LABEL_KEY
from tests.routes.conftest import local


def scan(session, consignment, *steps):
    courier = factories.user(session, None, Role.COURIER)
    process_scans(
        session,
        courier,
        [
            Scan(id=str(uuid.uuid4()), code=consignment.tracking_code, kind=kind, location=place)
            for kind, place in steps
        ],
        LABEL_KEY,
    )


def planned(session, at, count=1):
    with at(2026, 11, 17, 9, 30):
        made = [factories.consignment(session) for _ in range(count)]
        for consignment in made:
            replan(session, consignment)
    return made


def test_a_manifest_lists_what_to_collect_load_and_unload(session, network, at):
    [consignment] = planned(session, at)
    with at(2026, 11, 17, 9, 50):
        [manifest] = build_due(session)
    assert manifest.trip.code == "NX-1030"
    assert [(i.action, i.location.code) for i in manifest.items] == [
        (ManifestAction.COLLECT, "NH-BOX"),
        (ManifestAction.LOAD, "NH-STOP"),
        (ManifestAction.UNLOAD, "XL-STOP"),
    ]
    assert {i.tracking_code for i in manifest.items} == {consignment.tracking_code}


def test_departures_beyond_the_build_window_get_no_manifest_yet(session, network, at):
    planned(session, at)
    with at(2026, 11, 17, 9, 30):
        assert build_due(session) == []


def test_scans_tick_off_the_manifest(session, network, at):
    [consignment] = planned(session, at)
    with at(2026, 11, 17, 9, 50):
        [manifest] = build_due(session)
    with at(2026, 11, 17, 10, 20):
        scan(
            session, consignment, ("deposit", "NH-BOX"), ("collect", "NH-BOX"), ("load", "NH-STOP")
        )
        commit(session)  # the unit of work settles the hops before it commits
    done = {i.action: i.done_at is not None for i in manifest.items}
    assert done == {
        ManifestAction.COLLECT: True,
        ManifestAction.LOAD: True,
        ManifestAction.UNLOAD: False,
    }


def test_an_envelope_not_loaded_is_marked_missed_re_planned_and_reported(session, network, at):
    loaded, left_behind = planned(session, at, 2)
    with at(2026, 11, 17, 9, 50):
        build_due(session)
    with at(2026, 11, 17, 10, 20):
        scan(session, loaded, ("deposit", "NH-BOX"), ("collect", "NH-BOX"), ("load", "NH-STOP"))
        scan(session, left_behind, ("deposit", "NH-BOX"), ("collect", "NH-BOX"))
    with at(2026, 11, 17, 10, 45):
        [report] = close_departed(session)
    assert report.tracking_code == left_behind.tracking_code
    assert report.stop.code == "NH-STOP"
    assert report.new_eta == local(2026, 11, 17, 14, 55)
    missed = session.scalar(
        select(CustodyEvent).where(
            CustodyEvent.consignment_id == left_behind.id, CustodyEvent.kind == Kind.MISSED
        )
    )
    assert missed.source == Source.SYSTEM
    assert [leg.trip.code for leg in plan_of(session, left_behind.id).legs] == ["NX-1400"]
    assert history(session, left_behind.id)[-1].params == {"time": "10:30"}


def test_a_departure_is_reported_missed_only_once(session, network, at):
    [consignment] = planned(session, at)
    with at(2026, 11, 17, 9, 50):
        run(session)
    with at(2026, 11, 17, 10, 0):
        scan(session, consignment, ("deposit", "NH-BOX"), ("collect", "NH-BOX"))
    with at(2026, 11, 17, 10, 45):
        assert run(session)["missed"] == 1
    with at(2026, 11, 17, 10, 50):
        assert run(session)["missed"] == 0
    assert session.query(MissedReport).count() == 1


def test_an_envelope_never_handed_in_is_re_planned_but_not_reported(session, network, at):
    [consignment] = planned(session, at)
    with at(2026, 11, 17, 9, 50):
        build_due(session)
    with at(2026, 11, 17, 10, 45):
        assert close_departed(session) == []
    assert [leg.trip.code for leg in plan_of(session, consignment.id).legs] == ["NX-1400"]

"""A change of bus at the hub (东江 → 南湖 → 西岭 and back) is a transfer, not a misroute."""

import re
import uuid

import pytest
from sqlalchemy import select

from core.db import commit
from core.users import Role
from courier.models import CustodyEvent
from courier.scans import Scan, process_scans
from courier.states import Kind, State
from routes.manifests import build_due, close_departed
from routes.models import LegStatus, ManifestAction, Stop
from routes.plans import plan_of, replan
from routes.timetable import import_timetable, set_stop
from tests import factories
from tests.courier.agent_helpers import walk
from tests.factories import LABEL_KEY
from tests.pages import visible_text
from tests.routes.conftest import local

pytestmark = pytest.mark.slow

#: No line joins 东江 and 西岭: every envelope between them changes bus at 南湖.
TIMETABLE = """trip,line,vehicle,days,season,stop,arrive,depart
DN-0800,DJ-NH,B1,workday,all,DJ-STOP,,08:00
DN-0800,DJ-NH,B1,workday,all,NH-SHUTTLE,08:40,
NX-0900,NH-XL,B2,workday,all,NH-SHUTTLE,,09:00
NX-0900,NH-XL,B2,workday,all,XL-STOP,09:40,
NX-1100,NH-XL,B2,workday,all,NH-SHUTTLE,,11:00
NX-1100,NH-XL,B2,workday,all,XL-STOP,11:40,
XN-1500,XL-NH,B2,workday,all,XL-STOP,,15:00
XN-1500,XL-NH,B2,workday,all,NH-SHUTTLE,15:40,
ND-1600,NH-DJ,B1,workday,all,NH-SHUTTLE,,16:00
ND-1600,NH-DJ,B1,workday,all,DJ-STOP,16:40,
"""


@pytest.fixture
def hub_network(session):
    for code, stop in (("DJ", "DJ-STOP"), ("NH", "NH-SHUTTLE"), ("XL", "XL-STOP")):
        factories.campus(session, code)
        factories.location(session, stop, code)
    import_timetable(session, TIMETABLE)
    for stop in session.scalars(select(Stop)):
        set_stop(session, stop, True, 15)


def scan(session, consignment, *steps):
    courier = factories.user(session, None, Role.COURIER)
    results = process_scans(
        session,
        courier,
        [
            Scan(id=str(uuid.uuid4()), code=consignment.tracking_code, kind=kind, location=place)
            for kind, place in steps
        ],
        LABEL_KEY,
    )
    commit(session)
    return results


def kinds(session, consignment):
    return [
        event.kind
        for event in session.scalars(
            select(CustodyEvent)
            .where(CustodyEvent.consignment_id == consignment.id)
            .order_by(CustodyEvent.device_at, CustodyEvent.id)
        )
    ]


def submitted(session, at):
    with at(2026, 11, 17, 7, 0):
        consignment = factories.consignment(session, origin="DJ", department_campus="XL")
        replan(session, consignment)
        commit(session)
    return consignment


def on_the_first_bus(session, at, consignment):
    with at(2026, 11, 17, 7, 30):
        scan(session, consignment, ("deposit", "DJ-STOP"), ("collect", "DJ-STOP"))
    with at(2026, 11, 17, 8, 0):
        scan(session, consignment, ("load", "DJ-STOP"))


def to_the_hub(session, at, consignment):
    on_the_first_bus(session, at, consignment)
    with at(2026, 11, 17, 8, 42):
        return scan(session, consignment, ("unload", "NH-SHUTTLE"))


def test_the_unload_at_the_planned_hub_is_a_transfer_with_the_next_leg(session, hub_network, at):
    consignment = submitted(session, at)
    [result] = to_the_hub(session, at, consignment)
    assert result.ok
    assert result.state is State.AT_HUB
    assert result.reason_code == "transferred"
    transfer = session.scalars(
        select(CustodyEvent).where(
            CustodyEvent.consignment_id == consignment.id,
            CustodyEvent.kind == Kind.TRANSFERRED,
        )
    ).one()
    assert transfer.notes == "NX-0900 09:00 NH-SHUTTLE → XL-STOP"
    assert Kind.MISROUTED not in kinds(session, consignment)


def test_dong_jiang_to_xi_ling_arrives_without_a_misroute(session, hub_network, at):
    consignment = submitted(session, at)
    to_the_hub(session, at, consignment)
    with at(2026, 11, 17, 9, 0):
        scan(session, consignment, ("load", "NH-SHUTTLE"))
    with at(2026, 11, 17, 9, 41):
        [arrived] = scan(session, consignment, ("unload", "XL-STOP"))
    assert arrived.state is State.ARRIVED
    assert kinds(session, consignment)[-4:] == [
        Kind.LOADED,
        Kind.TRANSFERRED,
        Kind.LOADED,
        Kind.UNLOADED,
    ]
    legs = plan_of(session, consignment.id).legs
    assert [(leg.trip.code, leg.status) for leg in legs] == [
        ("DN-0800", LegStatus.DONE),
        ("NX-0900", LegStatus.DONE),
    ]


def test_the_transfer_does_not_tick_the_xi_ling_unload_early(session, hub_network, at):
    consignment = submitted(session, at)
    with at(2026, 11, 17, 7, 20):
        manifests = build_due(session)  # the 08:00 departure's
        commit(session)
    with at(2026, 11, 17, 8, 20):
        manifests += build_due(session)  # and the 09:00 connection's, before the transfer
        commit(session)
    to_the_hub(session, at, consignment)
    unloads = {
        item.location.code: item.done_at is not None
        for manifest in manifests
        for item in manifest.items
        if item.action == ManifestAction.UNLOAD
    }
    assert unloads == {"NH-SHUTTLE": True, "XL-STOP": False}


def test_an_unload_off_the_plan_is_still_a_misroute(session, hub_network, at):
    consignment = submitted(session, at)
    with at(2026, 11, 17, 8, 0):
        scan(session, consignment, ("deposit", "DJ-STOP"), ("collect", "DJ-STOP"))
        scan(session, consignment, ("load", "DJ-STOP"))
    with at(2026, 11, 17, 8, 42):
        [result] = scan(session, consignment, ("unload", "XL-STOP"))  # taken the wrong way
    # XL is where it is going, so that is an arrival; an unload back at 东江 is the misroute.
    assert result.state is State.ARRIVED
    other = submitted(session, at)
    with at(2026, 11, 17, 8, 0):
        scan(session, other, ("deposit", "DJ-STOP"), ("collect", "DJ-STOP"), ("load", "DJ-STOP"))
    with at(2026, 11, 17, 8, 5):
        [wrong] = scan(session, other, ("unload", "DJ-STOP"))
    assert wrong.state is State.MISROUTED


def test_a_missed_connection_at_the_hub_is_re_planned_not_misrouted(session, hub_network, at):
    consignment = submitted(session, at)
    on_the_first_bus(session, at, consignment)
    with at(2026, 11, 17, 8, 20):
        build_due(session)
        commit(session)
    with at(2026, 11, 17, 8, 42):
        scan(session, consignment, ("unload", "NH-SHUTTLE"))
    with at(2026, 11, 17, 9, 20):
        close_departed(session)
        commit(session)
    assert consignment.state is State.AT_HUB
    assert Kind.MISSED in kinds(session, consignment)
    assert Kind.MISROUTED not in kinds(session, consignment)
    plan = plan_of(session, consignment.id)
    ahead = [leg.trip.code for leg in plan.legs if leg.status == LegStatus.PLANNED]
    assert ahead == ["NX-1100"]
    assert plan.eta == local(2026, 11, 17, 11, 55)
    with at(2026, 11, 17, 11, 0):
        [loaded] = scan(session, consignment, ("load", "NH-SHUTTLE"))
    assert loaded.state is State.IN_TRANSIT


def test_the_way_back_changes_bus_at_the_hub_too(session, hub_network, at):
    consignment = submitted(session, at)
    to_the_hub(session, at, consignment)
    with at(2026, 11, 17, 9, 0):
        scan(session, consignment, ("load", "NH-SHUTTLE"))
    with at(2026, 11, 17, 9, 41):
        scan(session, consignment, ("unload", "XL-STOP"), ("sort", "XL-STOP"))
    with at(2026, 11, 17, 14, 0):
        walk(session, consignment, Kind.AGENT_ACCEPTED, Kind.RESULT_READY)
        commit(session)
    with at(2026, 11, 17, 15, 0):
        scan(session, consignment, ("load", "XL-STOP"))
    with at(2026, 11, 17, 15, 42):
        [back_at_hub] = scan(session, consignment, ("unload", "NH-SHUTTLE"))
    assert back_at_hub.state is State.AT_HUB
    with at(2026, 11, 17, 16, 0):
        scan(session, consignment, ("load", "NH-SHUTTLE"))
    with at(2026, 11, 17, 16, 41):
        [home] = scan(session, consignment, ("unload", "DJ-STOP"))
    assert home.state is State.RETURN_ARRIVED
    assert kinds(session, consignment).count(Kind.TRANSFERRED) == 2
    assert Kind.MISROUTED not in kinds(session, consignment)


def test_an_unload_before_the_loaded_bus_left_drops_that_ride_from_the_plan(
    session, hub_network, at
):
    """Scans done the evening before (the demo does this): the envelope cannot have ridden
    the next morning's bus, so the plan goes on from the hub, not from that bus's arrival."""
    with at(2026, 11, 16, 20, 0):
        consignment = factories.consignment(session, origin="DJ", department_campus="XL")
        replan(session, consignment)
        commit(session)
        scan(session, consignment, ("deposit", "DJ-STOP"), ("collect", "DJ-STOP"))
        scan(session, consignment, ("load", "DJ-STOP"))
    with at(2026, 11, 16, 20, 30):
        [transfer] = scan(session, consignment, ("unload", "NH-SHUTTLE"))
    assert transfer.state is State.AT_HUB
    legs = plan_of(session, consignment.id).legs
    assert [(leg.trip.code, leg.service_date.isoformat(), leg.status) for leg in legs] == [
        ("NX-0900", "2026-11-17", LegStatus.PLANNED)
    ]


def test_an_unload_before_the_planned_arrival_is_when_the_ride_arrived(session, hub_network, at):
    consignment = submitted(session, at)
    on_the_first_bus(session, at, consignment)
    with at(2026, 11, 17, 8, 35):
        scan(session, consignment, ("unload", "NH-SHUTTLE"))
    [ridden] = [leg for leg in plan_of(session, consignment.id).legs if leg.trip.code == "DN-0800"]
    assert ridden.arrives_at == local(2026, 11, 17, 8, 35)


#: The last bus from 东江 reaches 南湖 after the last one to 西岭 has left.
LATE_TIMETABLE = """trip,line,vehicle,days,season,stop,arrive,depart
DN-1000,DJ-NH,B1,workday,all,DJ-STOP,,10:00
DN-1000,DJ-NH,B1,workday,all,NH-SHUTTLE,10:40,
NX-0900,NH-XL,B2,workday,all,NH-SHUTTLE,,09:00
NX-0900,NH-XL,B2,workday,all,XL-STOP,09:40,
"""


@pytest.fixture
def late_network(session):
    for code, stop in (("DJ", "DJ-STOP"), ("NH", "NH-SHUTTLE"), ("XL", "XL-STOP")):
        factories.campus(session, code)
        factories.location(session, stop, code)
    import_timetable(session, LATE_TIMETABLE)
    for stop in session.scalars(select(Stop)):
        set_stop(session, stop, True, 15)


def transferred_overnight(session, at):
    with at(2026, 11, 17, 9, 30):
        consignment = factories.consignment(session, origin="DJ", department_campus="XL")
        replan(session, consignment)
        scan(session, consignment, ("deposit", "DJ-STOP"), ("collect", "DJ-STOP"))
    with at(2026, 11, 17, 10, 0):
        scan(session, consignment, ("load", "DJ-STOP"))
    with at(2026, 11, 17, 10, 42):
        scan(session, consignment, ("unload", "NH-SHUTTLE"))
    return consignment


def test_a_transfer_to_a_connection_on_the_next_day_names_its_day(session, late_network, at):
    consignment = transferred_overnight(session, at)
    transfer = session.scalars(
        select(CustodyEvent).where(
            CustodyEvent.consignment_id == consignment.id,
            CustodyEvent.kind == Kind.TRANSFERRED,
        )
    ).one()
    assert transfer.notes == "NX-0900 11-18 09:00 NH-SHUTTLE → XL-STOP"


def test_the_tracking_page_dates_a_departure_that_is_not_today(client, session, late_network, at):
    consignment = transferred_overnight(session, at)
    with at(2026, 11, 17, 10, 45):
        page = visible_text(client.get(f"/t/{consignment.tracking_code}"))
    assert "10:00 DJ-STOP 站点 → 10:40 NH-SHUTTLE 站点" in page
    assert "11-18 09:00 NH-SHUTTLE 站点 → 11-18 09:40 XL-STOP 站点" in page


def test_during_a_transfer_the_tracking_page_says_it_changes_bus_at_the_hub(
    client, session, hub_network, at
):
    consignment = submitted(session, at)
    to_the_hub(session, at, consignment)
    with at(2026, 11, 17, 8, 45):
        page = visible_text(client.get(f"/t/{consignment.tracking_code}"))
    assert "部门办理中" not in page
    assert "送达办理部门 转运中：在南湖校区换乘校车。" in page


def test_an_anonymous_viewer_reads_the_envelope_and_its_code_as_the_heading(
    client, session, hub_network, at
):
    consignment = submitted(session, at)
    page = client.get(f"/t/{consignment.tracking_code}").get_data(as_text=True)
    heading = re.search(r'<h1 data-test="heading">([^<]*)</h1>', page)
    assert heading is not None
    assert heading.group(1) == f"文件 {consignment.tracking_code}"


def test_a_first_plan_names_the_hub_at_once_so_one_batch_to_the_hub_is_a_transfer(
    session, hub_network, at
):
    with at(2026, 11, 17, 7, 0):
        consignment = factories.consignment(session, origin="DJ", department_campus="XL")
        replan(session, consignment)
        # A courier's phone sends its queued scans as one batch.
        *_, unloaded = scan(
            session,
            consignment,
            ("deposit", "DJ-STOP"),
            ("collect", "DJ-STOP"),
            ("load", "DJ-STOP"),
            ("unload", "NH-SHUTTLE"),
        )
    assert unloaded.state is State.AT_HUB
    assert Kind.MISROUTED not in kinds(session, consignment)

import datetime as dt
import uuid

import pytest

from core.errors import DomainError
from core.users import Role
from courier.consignments import record_web_event
from courier.scans import Scan, process_scans
from routes.models import LegStatus, ServicePeriod
from routes.network import changed
from routes.plans import check_reachable, history, plan_of, replan
from tests import factories
from tests.factories import LABEL_KEY
from tests.routes.conftest import local


def scan(session, consignment, *steps):
    courier = factories.user(session, None, Role.COURIER)
    return process_scans(
        session,
        courier,
        [
            Scan(id=str(uuid.uuid4()), code=consignment.tracking_code, kind=kind, location=place)
            for kind, place in steps
        ],
        LABEL_KEY,
    )


def test_a_load_scan_keeps_the_planned_shuttle(session, network, at):
    with at(2026, 11, 17, 9, 30):
        consignment = factories.consignment(session)
        replan(session, consignment)
    with at(2026, 11, 17, 10, 25):
        scan(
            session, consignment, ("deposit", "NH-BOX"), ("collect", "NH-BOX"), ("load", "NH-STOP")
        )
    plan = plan_of(session, consignment.id)
    assert [(leg.trip.code, leg.status) for leg in plan.legs] == [("NX-1030", LegStatus.LOADED)]
    assert plan.eta == local(2026, 11, 17, 11, 25)


def test_collecting_and_loading_on_time_keep_the_plan_and_its_rows(session, network, at):
    with at(2026, 11, 17, 9, 30):
        consignment = factories.consignment(session)
        replan(session, consignment)
    with at(2026, 11, 17, 10, 0):
        scan(session, consignment, ("deposit", "NH-BOX"))
    planned = plan_of(session, consignment.id).legs[0]
    changes = len(history(session, consignment.id))
    with at(2026, 11, 17, 10, 25):
        scan(session, consignment, ("collect", "NH-BOX"), ("load", "NH-STOP"))
    plan = plan_of(session, consignment.id)
    assert plan.legs == [planned]
    assert planned.status == LegStatus.LOADED
    assert len(history(session, consignment.id)) == changes


def test_a_load_long_after_the_planned_bus_is_re_planned_onto_the_later_one(session, network, at):
    with at(2026, 11, 17, 9, 30):
        consignment = factories.consignment(session)
        replan(session, consignment)
    with at(2026, 11, 17, 10, 20):
        scan(session, consignment, ("deposit", "NH-BOX"), ("collect", "NH-BOX"))
    with at(2026, 11, 17, 13, 50):
        scan(session, consignment, ("load", "NH-STOP"))
    plan = plan_of(session, consignment.id)
    assert plan.eta == local(2026, 11, 17, 14, 55)
    assert [(leg.trip.code, leg.status) for leg in plan.legs] == [("NX-1400", LegStatus.LOADED)]


def test_a_missed_departure_is_re_planned_with_the_reason(session, network, at):
    with at(2026, 11, 17, 9, 30):
        consignment = factories.consignment(session)
        replan(session, consignment)
    # Collected only at 10:50: the 10:30 shuttle has gone.
    with at(2026, 11, 17, 10, 50):
        scan(session, consignment, ("deposit", "NH-BOX"), ("collect", "NH-BOX"))
    plan = plan_of(session, consignment.id)
    assert [leg.trip.code for leg in plan.legs] == ["NX-1400"]
    assert plan.eta == local(2026, 11, 17, 14, 55)
    last = history(session, consignment.id)[-1]
    assert (last.reason, last.params) == ("Missed the %(time)s shuttle.", {"time": "10:30"})
    assert last.old_eta == local(2026, 11, 17, 11, 25)


def test_unloading_at_the_department_campus_brings_the_eta_to_sorting(session, network, at):
    with at(2026, 11, 17, 9, 30):
        consignment = factories.consignment(session)
        replan(session, consignment)
    with at(2026, 11, 17, 10, 20):
        scan(
            session, consignment, ("deposit", "NH-BOX"), ("collect", "NH-BOX"), ("load", "NH-STOP")
        )
    with at(2026, 11, 17, 11, 5):
        scan(session, consignment, ("unload", "XL-STOP"))
    plan = plan_of(session, consignment.id)
    assert plan.eta == local(2026, 11, 17, 11, 20)
    assert [leg.status for leg in plan.legs] == [LegStatus.DONE]


def test_the_way_back_is_planned_when_the_result_is_ready(session, network, at):
    with at(2026, 11, 17, 9, 30):
        consignment = factories.consignment(session, pickup="NH")
        replan(session, consignment)
    with at(2026, 11, 17, 10, 20):
        scan(
            session, consignment, ("deposit", "NH-BOX"), ("collect", "NH-BOX"), ("load", "NH-STOP")
        )
    with at(2026, 11, 17, 11, 10):
        scan(session, consignment, ("unload", "XL-STOP"), ("sort", "XL-STOP"))
    clerk = factories.user(session, None, Role.CLERK)
    with at(2026, 11, 17, 14, 0):
        from courier.states import Kind

        record_web_event(session, consignment, clerk, Kind.AGENT_ACCEPTED, "a")
        record_web_event(session, consignment, clerk, Kind.RESULT_READY, "r")
    plan = plan_of(session, consignment.id)
    assert plan.eta_kind == "pickup"
    assert [leg.trip.code for leg in plan.legs if leg.leg == "return"] == ["XN-1500"]
    assert plan.eta == local(2026, 11, 17, 15, 55)
    assert history(session, consignment.id)[-1].reason == (
        "The result is ready: the way back is planned."
    )


def test_a_destination_no_shuttle_reaches_is_refused_with_the_earliest_date(session, network, at):
    # The XL-DJ shuttle runs in term time only; the vacation lasts until the end of November.
    session.add(
        ServicePeriod(name="寒假", starts_on=dt.date(2026, 11, 16), ends_on=dt.date(2026, 11, 30))
    )
    session.flush()
    changed(session)
    with at(2026, 11, 17, 9, 30):
        consignment = factories.consignment(session, department_campus="DJ")
        with pytest.raises(DomainError) as refused:
            check_reachable(session, consignment)
    assert refused.value.code == "unreachable"
    assert refused.value.params["date"] == "2026-12-01"


def test_a_campus_without_any_shuttle_cannot_be_sent_to(session, network, at):
    factories.location(session, "ZZ-STOP", "ZZ")
    with at(2026, 11, 17, 9, 30):
        consignment = factories.consignment(session, department_campus="ZZ")
        with pytest.raises(DomainError) as refused:
            check_reachable(session, consignment)
    assert "earliest" not in refused.value.params


def test_a_reachable_destination_passes_the_check(session, network, at):
    with at(2026, 11, 17, 9, 30):
        check_reachable(session, factories.consignment(session, department_campus="DJ"))

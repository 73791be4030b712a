import datetime as dt

from routes.network import PROFILE_AFTER
from routes.planner import Planner
from routes.plans import history, plan_of, replan
from tests import factories
from tests.routes.conftest import local


def planned(session, consignment):
    plan = replan(session, consignment)
    return plan, [(leg.trip.code, leg.departs_at) for leg in plan.legs]


def test_an_envelope_dropped_before_the_round_rides_the_next_shuttle(session, network, at):
    with at(2026, 11, 17, 9, 30):
        consignment = factories.consignment(session, origin="NH", department_campus="XL")
        plan, legs = planned(session, consignment)
    assert legs == [("NX-1030", local(2026, 11, 17, 10, 30))]
    assert plan.eta == local(2026, 11, 17, 11, 25)
    assert plan.collect_at == local(2026, 11, 17, 10, 10)


def test_an_envelope_dropped_after_the_cut_off_waits_for_the_next_round(session, network, at):
    with at(2026, 11, 17, 10, 15):
        consignment = factories.consignment(session, origin="NH", department_campus="XL")
        _, legs = planned(session, consignment)
    assert legs == [("NX-1400", local(2026, 11, 17, 14, 0))]


def test_a_change_of_shuttle_at_a_hub_allows_the_sorting_time(session, network, at):
    with at(2026, 11, 17, 9, 30):
        consignment = factories.consignment(session, origin="NH", department_campus="DJ")
        plan, legs = planned(session, consignment)
    # 11:10 at XL plus 15 minutes of sorting misses the 11:20 to DJ and takes the 12:30.
    assert [code for code, _ in legs] == ["NX-1030", "XD-1230"]
    assert plan.eta == local(2026, 11, 17, 13, 35)


def test_nothing_reaches_today_so_the_next_service_day_is_planned(session, network, at):
    with at(2026, 11, 17, 16, 0):
        consignment = factories.consignment(session, origin="NH", department_campus="XL")
        _, legs = planned(session, consignment)
    assert legs == [("NX-0730", local(2026, 11, 18, 7, 30))]


def test_a_public_holiday_runs_the_days_off_timetable(session, network, at):
    # 2026-10-01, National Day, is a Thursday: the weekend shuttle runs, not the workday ones.
    with at(2026, 9, 30, 18, 0):
        consignment = factories.consignment(session, origin="NH", department_campus="XL")
        _, legs = planned(session, consignment)
    assert legs == [("NX-W0900", local(2026, 10, 1, 9, 0))]


def test_a_make_up_workday_runs_the_workday_timetable(session, network, at):
    # Saturday 2026-10-10 is a make-up workday (调休) after the National Day week.
    with at(2026, 10, 9, 18, 0):
        consignment = factories.consignment(session, origin="NH", department_campus="XL")
        _, legs = planned(session, consignment)
    assert legs == [("NX-0730", local(2026, 10, 10, 7, 30))]


def test_a_plain_saturday_runs_the_days_off_timetable(session, network, at):
    with at(2026, 10, 16, 18, 0):
        consignment = factories.consignment(session, origin="NH", department_campus="XL")
        _, legs = planned(session, consignment)
    assert legs == [("NX-W0900", local(2026, 10, 17, 9, 0))]


def test_a_same_campus_envelope_needs_no_shuttle(session, network, at):
    with at(2026, 11, 17, 9, 30):
        consignment = factories.consignment(session, origin="NH", department_campus="NH")
        plan, legs = planned(session, consignment)
    assert legs == []
    assert plan.eta == local(2026, 11, 17, 10, 35)


def test_the_first_plan_is_recorded_in_the_eta_history(session, network, at):
    with at(2026, 11, 17, 9, 30):
        consignment = factories.consignment(session)
        replan(session, consignment)
    [change] = history(session, consignment.id)
    assert change.old_eta is None
    assert change.new_eta == local(2026, 11, 17, 11, 25)
    assert change.reason == "Planned at submission."


def test_without_a_timetable_nothing_is_planned(session, at):
    with at(2026, 11, 17, 9, 30):
        consignment = factories.consignment(session)
        assert replan(session, consignment) is None
    assert plan_of(session, consignment.id) is None


def test_the_eta_is_stored_in_utc_and_read_back_equal(session, network, at):
    with at(2026, 11, 17, 9, 30):
        consignment = factories.consignment(session)
        replan(session, consignment)
    session.expire_all()
    assert plan_of(session, consignment.id).eta.utcoffset() == dt.timedelta(0)


def test_the_question_that_asks_for_a_profile_does_not_wait_for_it(session, network):
    planner = Planner(session)
    day = dt.date(2026, 11, 17)
    calendar = planner.calendar(day, 7)
    tt = planner.timetable
    key = tt.profile_key(network["DJ-STOP"].campus_id, day, calendar)
    assert [tt.profile(key, calendar) for _ in range(PROFILE_AFTER)] == [None] * PROFILE_AFTER
    tt.wait_for_profiles()
    assert tt.profile(key, calendar) is not None


def test_plans_answered_from_a_campus_profile_ride_as_the_first_scan_did(session, network):
    planner = Planner(session)
    sources = {network["NH-STOP"].id: local(2026, 11, 17, 9, 30)}
    dj = network["DJ-STOP"].campus_id
    scanned = [planner.route(sources, dj) for _ in range(PROFILE_AFTER)]
    planner.timetable.wait_for_profiles()
    profiled = planner.route(sources, dj)
    assert planner.timetable.answers, "no profile answered"
    assert [ride.trip_id for ride in profiled.rides] == [
        t.id for code in ("NX-1030", "XD-1230") for t in planner.timetable.trips if t.code == code
    ]
    assert scanned == [profiled] * PROFILE_AFTER

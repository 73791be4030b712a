"""The SLA clock in Chinese working days: pauses, warnings, breaches, figures."""

import datetime as dt

import pytest
from sqlalchemy import select

from core import clock
from courier import agents, sla
from courier.events import SlaAlerted
from courier.models import SlaAlert
from courier.states import Kind
from tests.courier.agent_helpers import at_agent_desk, clerk

SH = clock.SHANGHAI


def at(*args):
    return dt.datetime(*args, tzinfo=SH)


@pytest.fixture
def before_national_day():
    """Tuesday 2026-09-29, 09:00: National Day runs 1-7 October, Saturday 10 October is a
    make-up workday."""
    with clock.frozen(at(2026, 9, 29, 9, 0).astimezone(dt.UTC)) as frozen:
        yield frozen


@pytest.fixture
def alerts(bus):
    heard = []
    bus.subscribe(SlaAlerted, lambda _s, e: heard.append(e))
    return heard


def test_the_due_time_skips_the_national_day_holiday(session, before_national_day):
    consignment = at_agent_desk(session, sla_starts="submitted", time_limit_days=3)
    # Tuesday counts as day 0; Wednesday 30 September, then Thursday 8 and Friday 9 October.
    assert consignment.due_at == at(2026, 10, 9, 17, 30)


def test_a_pause_over_the_holiday_restarts_with_the_working_days_left(session, before_national_day):
    consignment = at_agent_desk(session, sla_starts="submitted", time_limit_days=3)
    wang = clerk(session, "wang")
    agents.accept(session, consignment, wang)
    before_national_day.advance(dt.timedelta(days=1, hours=1))  # Wed 30 Sep 10:00
    agents.request_materials(session, consignment, wang, [], "缺少学院盖章", "m1")
    assert sla.colour(consignment) == "paused"
    # The materials arrive on the make-up Saturday: 8 and 9 October were left, so two working
    # days from Saturday 10 October: Monday 12 and Tuesday 13.
    before_national_day.set(at(2026, 10, 10, 9, 0).astimezone(dt.UTC))
    agents.receive_materials(session, consignment, wang, "m2")
    assert consignment.due_at == at(2026, 10, 13, 17, 30)
    assert consignment.sla_paused_seconds == int(
        (at(2026, 10, 10, 9, 0) - at(2026, 9, 30, 10, 0)).total_seconds()
    )
    assert sla.colour(consignment) == "green"


def test_a_paused_clock_raises_no_alert_however_long_it_waits(session, before_national_day, alerts):
    consignment = at_agent_desk(session, sla_starts="submitted", time_limit_days=3)
    wang = clerk(session, "wang")
    agents.accept(session, consignment, wang)
    agents.request_materials(session, consignment, wang, [], "缺少学院盖章", "m1")
    before_national_day.set(at(2026, 10, 20, 9, 0).astimezone(dt.UTC))
    assert sla.scan(session) == sla.AlertsWritten(0, 0)
    assert alerts == []


def test_the_breach_scan_alerts_the_owner_clerk_and_the_department_once(
    session, before_national_day, alerts
):
    consignment = at_agent_desk(session, sla_starts="submitted", time_limit_days=3)
    wang = clerk(session, "wang")
    agents.accept(session, consignment, wang)
    before_national_day.set(at(2026, 10, 9, 17, 31).astimezone(dt.UTC))
    assert sla.scan(session) == sla.AlertsWritten(0, 1)
    assert sla.scan(session) == sla.AlertsWritten(0, 0)
    row = session.scalars(select(SlaAlert)).one()
    assert (row.level, row.clerk_id, row.department_id) == (
        "breach",
        wang.id,
        consignment.department_id,
    )
    assert [(e.level, e.clerk_id) for e in alerts] == [("breach", wang.id)]
    assert sla.colour(consignment) == "red"


def test_no_breach_during_the_holiday_before_the_due_day(session, before_national_day):
    at_agent_desk(session, sla_starts="submitted", time_limit_days=3)
    before_national_day.set(at(2026, 10, 7, 20, 0).astimezone(dt.UTC))
    assert sla.scan(session).breaches == 0


def test_a_warning_comes_at_eighty_percent_of_the_time_and_then_the_breach(
    session, before_national_day, alerts
):
    consignment = at_agent_desk(session, sla_starts="submitted", time_limit_days=3)
    expected = consignment.created_at + (consignment.due_at - consignment.created_at) * 0.8
    assert consignment.sla_warn_at == expected
    before_national_day.set(expected - dt.timedelta(minutes=1))
    assert sla.colour(consignment) == "green"
    assert sla.scan(session) == sla.AlertsWritten(0, 0)
    before_national_day.set(expected)
    assert sla.colour(consignment) == "amber"
    assert sla.scan(session) == sla.AlertsWritten(1, 0)
    before_national_day.set(consignment.due_at + dt.timedelta(seconds=1))
    assert sla.scan(session) == sla.AlertsWritten(0, 1)
    assert [e.level for e in alerts] == ["warning", "breach"]


def test_a_result_ready_in_time_stops_the_clock(session, before_national_day):
    consignment = at_agent_desk(session, sla_starts="submitted", time_limit_days=3)
    wang = clerk(session, "wang")
    agents.accept(session, consignment, wang)
    agents.record_step(
        session, consignment, wang, Kind.RESULT_READY, "r", result_kind="certificate"
    )
    before_national_day.set(at(2026, 10, 20, 9, 0).astimezone(dt.UTC))
    assert sla.scan(session) == sla.AlertsWritten(0, 0)
    assert sla.colour(consignment) == "done"


def test_figures_give_on_time_share_median_and_p90_without_paused_time():
    def done(hours, due_hours, paused_hours=0):
        start = at(2026, 11, 2, 9, 0)
        row = type("Row", (), {})()
        row.created_at = start
        row.result_ready_at = start + dt.timedelta(hours=hours + paused_hours)
        row.due_at = start + dt.timedelta(hours=due_hours)
        row.sla_paused_seconds = paused_hours * 3600
        row.sla_started_at = start
        row.accepted_at = start
        return row

    rows = [done(h, 30) for h in (10, 20, 30, 40)] + [done(5, 10, paused_hours=100)]
    figures = sla.figures("ACAD", rows)
    assert figures.handled == 5
    assert figures.on_time_share == pytest.approx(3 / 5)
    assert figures.median_hours == pytest.approx(20)
    # Inclusive quantiles of 5, 10, 20, 30, 40: the 90th percentile lies 60 % of the way from
    # 30 to 40.
    assert figures.p90_hours == pytest.approx(36)


def test_statistics_group_handled_consignments_by_department(session, before_national_day):
    wang = clerk(session, "wang")
    for n in (1, 2):
        consignment = at_agent_desk(session, sla_starts="submitted", time_limit_days=3)
        agents.accept(session, consignment, wang)
        before_national_day.advance(dt.timedelta(hours=2))
        agents.record_step(
            session, consignment, wang, Kind.RESULT_READY, f"r{n}", result_kind="certificate"
        )
    [figures] = sla.statistics_by(session, "department")
    assert figures.name == "XL部门"
    assert figures.handled == 2
    assert figures.on_time_share == 1
    # Created at 09:00 and 11:00, ready at 11:00 and 13:00.
    assert figures.median_hours == pytest.approx(2)


def test_by_default_the_clock_waits_for_the_agents_acceptance(session, before_national_day):
    consignment = at_agent_desk(session, time_limit_days=3)
    assert sla.colour(consignment) == "waiting"
    before_national_day.set(at(2026, 10, 12, 9, 0).astimezone(dt.UTC))
    assert sla.scan(session) == sla.AlertsWritten(0, 0)


def test_acceptance_starts_the_time_limit_from_that_day(session, before_national_day):
    consignment = at_agent_desk(session, time_limit_days=3)
    before_national_day.set(at(2026, 10, 8, 10, 0).astimezone(dt.UTC))
    agents.accept(session, consignment, clerk(session, "start_wang"))
    # Thursday 8 October counts as day 0; Friday 9, make-up Saturday 10, Monday 12.
    assert consignment.due_at == at(2026, 10, 12, 17, 30)
    assert consignment.sla_started_at == at(2026, 10, 8, 10, 0)
    assert sla.colour(consignment) == "green"


def test_transit_is_reported_apart_from_handling(session, before_national_day):
    consignment = at_agent_desk(session, time_limit_days=3)
    before_national_day.set(at(2026, 9, 29, 13, 0).astimezone(dt.UTC))
    wang = clerk(session, "transit_wang")
    agents.accept(session, consignment, wang)
    before_national_day.set(at(2026, 9, 29, 15, 0).astimezone(dt.UTC))
    agents.record_step(
        session, consignment, wang, Kind.RESULT_READY, "r1", result_kind="stamped_copy"
    )
    [figures] = sla.statistics_by(session, "department")
    assert figures.median_hours == 2
    assert figures.median_transit_hours == 4

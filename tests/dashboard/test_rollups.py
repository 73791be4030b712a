"""The rollups give the figures the source rows give, whether the job has run or not."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import func, literal, select

from core.users import Role
from courier.models import Consignment, ConsignmentRating
from courier.states import Kind
from dashboard import figures, rollups
from dashboard.figures import Period
from dashboard.models import RideRollup
from dashboard.sql_time import bucket, python_bucket
from lockers.compartments import add_bank
from lockers.models import Alert, AlertKind, BankKind, Size
from tests import factories
from tests.conftest import NOW
from tests.dashboard.test_figures import at, queue, rated, ride, scan, ticket, window
from tickets.models import Outcome, Status

TODAY = NOW.date()
#: Two months back to today: October is a whole month (read from its month rows).
PERIOD = Period(dt.date(2026, 9, 20), TODAY)
_codes = itertools.count(1)


def days_ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


def copy_of(session, row: Consignment, **fields) -> Consignment:
    """Another consignment like ``row`` (the factory's is slow: a user, a plan, a label)."""
    values = {c.key: getattr(row, c.key) for c in Consignment.__mapper__.column_attrs}
    values |= {"id": None, "tracking_code": f"T{next(_codes):012d}", **fields}
    copy = Consignment(**values)
    session.add(copy)
    session.flush()
    return copy


def a_bit_of_everything(session, day: dt.date, places) -> None:
    """Rides, handling, a hall ticket, ratings of both kinds and a fault alert on ``day``."""
    base, a, desk, agent, bank = places
    for hour, minutes in ((6, 42), (9, 55), (12, 130)):
        scan(session, base, Kind.LOADED, "NH", at(day, hour))
        scan(session, base, Kind.UNLOADED, "XL", at(day, hour) + dt.timedelta(minutes=minutes))
    for hours, due in ((3, at(day, 17)), (50, at(day, 15))):
        ready = at(day, 16)
        copy_of(
            session,
            base,
            sla_started_at=ready - dt.timedelta(hours=hours),
            result_ready_at=ready,
            due_at=due,
        )
    ticket(
        session,
        a,
        at(day, 9, 5),
        first_called_at=at(day, 9, 17),
        started_at=at(day, 9, 18),
        finished_at=at(day, 9, 29),
        status=Status.DONE,
        outcome=Outcome.SERVED,
    )
    rated(session, a, desk, 4, day)
    session.add(
        ConsignmentRating(
            consignment_id=copy_of(session, base).id,
            rater_id=base.submitter_id,
            agent_id=agent.id,
            department_id=base.department_id,
            level=2,
            created_at=at(day, 11),
        )
    )
    session.add(Alert(kind=AlertKind.FAULT, bank_id=bank.id, message="门锁", created_at=at(day, 8)))
    session.flush()


@pytest.fixture
def year_of_days(session, frozen_clock):
    place = factories.location(session, "NH-LOCK", "NH", "locker_site")
    places = (
        factories.consignment(session),
        queue(session),
        window(session, 1),
        factories.user(session, "wang_agent", Role.CLERK),
        add_bank(session, "NH-P1", "南湖取件柜", BankKind.PICKUP, place, [Size.M]),
    )
    for day in (dt.date(2026, 9, 25), dt.date(2026, 10, 3), dt.date(2026, 10, 31), days_ago(1)):
        a_bit_of_everything(session, day, places)
    a_bit_of_everything(session, TODAY, places)
    return places[0]


def rolled_up(session) -> None:
    rollups.refresh(session, catch_up_days=400)


def test_the_figures_from_rollups_equal_those_from_the_source_rows(session, year_of_days):
    from_rows = figures.dashboard(session, PERIOD)

    rolled_up(session)

    assert rollups.rolled_up_through(session) == days_ago(1)
    assert session.scalar(select(func.count()).where(RideRollup.month.is_(True))) > 0
    assert figures.dashboard(session, PERIOD) == from_rows
    assert figures.satisfaction_by_clerk(session, PERIOD) != []


def test_a_late_scan_within_the_recent_days_is_counted_by_the_next_run(session, year_of_days):
    rolled_up(session)
    scan(session, year_of_days, Kind.LOADED, "NH", at(days_ago(3), 20))
    scan(session, year_of_days, Kind.UNLOADED, "XL", at(days_ago(3), 20, 20))
    stale = figures.transit_legs(session, PERIOD)

    rollups.refresh(session)

    assert figures.transit_legs(session, PERIOD)[0].rides == stale[0].rides + 1


def test_days_after_the_watermark_are_read_from_the_source_rows(
    session, year_of_days, frozen_clock
):
    rolled_up(session)
    frozen_clock.advance(dt.timedelta(days=3))
    later = TODAY + dt.timedelta(days=2)
    scan(session, year_of_days, Kind.LOADED, "NH", at(later, 10))
    scan(session, year_of_days, Kind.UNLOADED, "XL", at(later, 10, 20))

    (leg,) = figures.transit_legs(session, Period(TODAY, TODAY + dt.timedelta(days=3)))

    assert leg.rides == 4  # today's three, rolled up by no one yet, and the new one


def test_running_the_job_again_changes_nothing(session, year_of_days):
    rolled_up(session)
    rows = session.scalar(select(func.count()).select_from(RideRollup))
    shown = figures.dashboard(session, PERIOD)

    assert rollups.refresh(session) == f"rolled up {days_ago(7)} to {days_ago(1)}"
    assert session.scalar(select(func.count()).select_from(RideRollup)) == rows
    assert figures.dashboard(session, PERIOD) == shown


def test_catching_up_rolls_up_a_month_per_run_oldest_days_first(session, year_of_days):
    assert rollups.refresh(session) == "rolled up 2026-09-25 to 2026-10-25"
    assert rollups.rolled_up_through(session) == dt.date(2026, 10, 25)


def test_a_percentile_is_the_lower_bound_of_its_bucket(session, frozen_clock):
    ride(session, 150, at(TODAY, 8))  # 2 h 30 min: ten-minute buckets

    (leg,) = figures.transit_legs(session, PERIOD)

    assert (leg.median_seconds, leg.p90_seconds) == (150 * 60, 150 * 60)


def test_the_database_buckets_durations_as_python_does(session):
    edges = [-90, 0, 59, 61, 7199, 7200, 7799, 172_799, 172_800, 200_000, 3_000_000]

    in_sql = [session.scalar(select(bucket(literal(seconds)))) for seconds in edges]

    assert in_sql == [python_bucket(seconds) for seconds in edges]

"""The dashboard's figures, as an administrator reads them, from rows the factories make."""

from __future__ import annotations

import datetime as dt
import itertools

from core.clock import SHANGHAI
from core.users import Role
from courier.models import ConsignmentRating, CustodyEvent, Source
from courier.states import Kind, State
from dashboard import figures as dashboard
from dashboard.figures import Period
from lockers.compartments import add_bank
from lockers.models import Alert, AlertKind, BankKind, CompartmentState, Size
from tests import factories
from tickets.models import Category, Outcome, Rating, Status, Ticket, Window

DAY = dt.date(2026, 11, 10)
PERIOD = Period(DAY, DAY + dt.timedelta(days=6))
_keys = itertools.count(1)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A local time on ``day``."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


def consignment_in(session, state: State, campus: str | None = None, origin: str = "NH"):
    row = factories.consignment(session, origin=origin)
    row.state = state
    row.current_campus_id = factories.campus(session, campus).id if campus else None
    session.flush()
    return row


def scan(session, consignment, kind: Kind, campus: str, when: dt.datetime) -> None:
    session.add(
        CustodyEvent(
            consignment_id=consignment.id,
            kind=kind,
            device_at=when,
            server_at=when,
            campus_id=factories.campus(session, campus).id,
            source=Source.SCAN,
            idempotency_key=f"test-{next(_keys)}",
            state_after=State.IN_TRANSIT,
        )
    )
    session.flush()


def ride(session, minutes: int, start: dt.datetime, end_kind: Kind = Kind.UNLOADED) -> None:
    row = factories.consignment(session)
    scan(session, row, Kind.LOADED, "NH", start)
    scan(session, row, end_kind, "XL", start + dt.timedelta(minutes=minutes))


def handled(session, hours: float, ready: dt.datetime, due: dt.datetime, paused: int = 0):
    row = factories.consignment(session)
    row.sla_started_at = ready - dt.timedelta(hours=hours, seconds=paused)
    row.sla_paused_seconds = paused
    row.result_ready_at = ready
    row.due_at = due
    session.flush()
    return row


def test_envelopes_in_the_network_are_counted_by_state_and_campus(session):
    consignment_in(session, State.IN_TRANSIT, "XL")
    consignment_in(session, State.IN_TRANSIT, "XL")
    consignment_in(session, State.SORTED)
    consignment_in(session, State.CREATED, "XL")
    consignment_in(session, State.PICKED_UP, "XL")

    counted = [(r.campus.code, r.state, r.count) for r in dashboard.in_network(session)]

    assert counted == [("NH", State.SORTED, 1), ("XL", State.IN_TRANSIT, 2)]


def test_ride_times_per_leg_give_the_median_and_90th_percentile(session):
    for minutes in (40, 60):
        ride(session, minutes, at(DAY, 10))
    ride(session, 50, at(DAY, 10), Kind.TRANSFERRED)

    (leg,) = dashboard.transit_legs(session, PERIOD)

    assert (leg.origin.code, leg.destination.code, leg.rides) == ("NH", "XL", 3)
    assert (leg.median_seconds, leg.p90_seconds) == (50 * 60, 60 * 60)


def test_rides_loaded_outside_the_period_or_unloaded_days_later_are_left_out(session):
    ride(session, 30, at(DAY, 10))
    ride(session, 45, at(DAY - dt.timedelta(days=1), 23, 50))
    ride(session, 3 * 24 * 60, at(DAY, 11))

    (leg,) = dashboard.transit_legs(session, PERIOD)

    assert (leg.rides, leg.median_seconds) == (1, 30 * 60)


def test_sla_gives_the_on_time_share_and_median_handling_time_per_department(session):
    ready = at(DAY, 16)
    handled(session, 2, ready, due=ready)
    handled(session, 3, ready, due=ready + dt.timedelta(days=1), paused=3600)
    handled(session, 10, ready, due=ready - dt.timedelta(minutes=1))
    handled(session, 1, at(DAY - dt.timedelta(days=1), 16), due=ready)

    (figures,) = dashboard.sla_by_department(session, PERIOD)

    assert (figures.department.code, figures.handled, figures.on_time) == ("DXL", 3, 2)
    assert figures.median_handling_seconds == 3 * 3600


def test_locker_banks_show_occupancy_faults_and_fault_alerts_of_the_period(session):
    place = factories.location(session, "NH-LOCK", "NH", "locker_site")
    bank = add_bank(session, "NH-P1", "南湖取件柜", BankKind.PICKUP, place, [Size.M] * 6)
    states = [
        CompartmentState.OCCUPIED,
        CompartmentState.RESERVED,
        CompartmentState.FAULT,
        CompartmentState.DISABLED,
    ]
    for compartment, state in zip(bank.compartments, states, strict=False):
        compartment.state = state
    for created in (at(DAY, 9), at(DAY - dt.timedelta(days=3), 9)):
        session.add(
            Alert(kind=AlertKind.FAULT, bank_id=bank.id, message="门锁", created_at=created)
        )
    session.add(Alert(kind=AlertKind.TAMPER, bank_id=bank.id, message="撬", created_at=at(DAY, 9)))
    session.flush()

    (figures,) = dashboard.locker_banks(session, PERIOD)

    assert (figures.bank.code, figures.compartments, figures.occupied) == ("NH-P1", 5, 2)
    assert (figures.faulty, figures.fault_alerts, figures.occupancy) == (1, 1, 0.4)


def queue(session, prefix: str = "A", department: str | None = "ACAD") -> Category:
    owner = factories.department(session, department).id if department else None
    category = Category(
        hall=factories.hall(session), prefix=prefix, name=f"{prefix} 队列", department_id=owner
    )
    session.add(category)
    session.flush()
    return category


def window(session, number: int) -> Window:
    row = Window(hall=factories.hall(session), number=number, name=f"{number} 号窗口")
    session.add(row)
    session.flush()
    return row


def ticket(session, category: Category, waits_from: dt.datetime, **fields) -> Ticket:
    row = Ticket(
        category_id=category.id,
        day=waits_from.date(),
        seq=next(_keys),
        number=f"{category.prefix}{next(_keys):03d}",
        issued_at=waits_from,
        queue_at=waits_from,
        wait_from=waits_from,
        **fields,
    )
    session.add(row)
    session.flush()
    return row


def test_hall_waits_and_service_times_are_given_per_queue_and_hour(session):
    a = queue(session)
    ticket(
        session,
        a,
        at(DAY, 9, 10),
        first_called_at=at(DAY, 9, 20),
        started_at=at(DAY, 9, 21),
        finished_at=at(DAY, 9, 31),
        status=Status.DONE,
        outcome=Outcome.SERVED,
    )
    ticket(
        session,
        a,
        at(DAY, 9, 40),
        first_called_at=at(DAY, 10, 10),
        status=Status.DONE,
        outcome=Outcome.NO_SHOW,
    )
    ticket(session, a, at(DAY, 10, 5))

    nine, ten = dashboard.hall_hours(session, PERIOD)

    assert (nine.queue.code, nine.hour, nine.tickets) == ("A", 9, 2)
    assert (nine.mean_wait_seconds, nine.mean_service_seconds) == (20 * 60, 10 * 60)
    assert (ten.hour, ten.tickets, ten.mean_wait_seconds) == (10, 1, None)


def rated(session, category: Category, desk: Window, level: int, day: dt.date = DAY) -> None:
    row = ticket(session, category, at(day, 9), window_id=desk.id, status=Status.DONE)
    session.add(Rating(ticket_id=row.id, level=level))
    session.flush()


def test_satisfaction_per_window_gives_the_mean_level_and_satisfied_share(session):
    a = queue(session)
    first, second = window(session, 1), window(session, 2)
    for level in (5, 4, 2):
        rated(session, a, first, level)
    rated(session, a, second, 3)
    rated(session, a, second, 1, DAY - dt.timedelta(days=1))

    one, two = dashboard.satisfaction_by_window(session, PERIOD)

    assert (one.of.code, one.ratings, one.level_sum, one.satisfied) == ("1", 3, 11, 2)
    assert (two.of.code, two.ratings, two.mean_level, two.satisfied_share) == ("2", 1, 3, 0)


def test_satisfaction_per_department_leaves_out_queues_of_no_department(session):
    desk = window(session, 1)
    rated(session, queue(session, "A"), desk, 5)
    rated(session, queue(session, "B", department=None), desk, 1)

    (figures,) = dashboard.satisfaction_by_department(session, PERIOD)

    assert (figures.of.code, figures.ratings, figures.mean_level) == ("ACAD", 1, 5)


def test_a_period_runs_from_the_first_local_midnight_to_the_one_after_the_last_day():
    period = Period.last_days(30, today=DAY)

    assert period.first == DAY - dt.timedelta(days=29)
    assert (period.start.hour, period.end.date()) == (0, DAY + dt.timedelta(days=1))
    assert period.start.utcoffset() == dt.timedelta(hours=8)


def agent_rated(session, agent, level: int, when: dt.datetime) -> None:
    consignment = factories.consignment(session, origin="XL", department_campus="XL")
    session.add(
        ConsignmentRating(
            consignment_id=consignment.id,
            rater_id=consignment.submitter_id,
            agent_id=agent.id,
            department_id=consignment.department_id,
            level=level,
            created_at=when,
        )
    )
    session.flush()


def test_agent_satisfaction_is_given_per_department_for_ratings_of_the_period(session):
    wang = factories.user(session, "wang_agent", Role.CLERK)
    agent_rated(session, wang, 5, at(DAY, 10))
    agent_rated(session, wang, 2, at(DAY, 11))
    agent_rated(session, wang, 1, at(DAY - dt.timedelta(days=1), 10))

    (figures,) = dashboard.agent_satisfaction_by_department(session, PERIOD)

    assert (figures.of.code, figures.ratings, figures.mean_level) == ("DXL", 2, 3.5)
    assert figures.satisfied_share == 0.5


def test_satisfaction_per_clerk_counts_window_services_and_agent_handling(session):
    zhou = factories.user(session, "zhou_hall", Role.HALL_STAFF)
    wang = factories.user(session, "wang_agent", Role.CLERK)
    desk = window(session, 1)
    a = queue(session)
    for level in (5, 3):
        row = ticket(session, a, at(DAY, 9), window_id=desk.id, staff_id=zhou.id)
        session.add(Rating(ticket_id=row.id, level=level))
    agent_rated(session, wang, 4, at(DAY, 10))
    agent_rated(session, zhou, 1, at(DAY, 10))

    by_login = {s.of.code: s for s in dashboard.satisfaction_by_clerk(session, PERIOD)}

    assert (by_login["zhou_hall"].ratings, by_login["zhou_hall"].level_sum) == (3, 9)
    assert (by_login["wang_agent"].ratings, by_login["wang_agent"].satisfied) == (1, 1)

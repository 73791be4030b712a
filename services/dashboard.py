"""The administrator's dashboard: network, transit, SLA, lockers, hall and satisfaction figures.

Every figure is one aggregate query (GROUP BY in the database, window functions for the
percentiles), so the page stays fast at a year of data on SQLite and PostgreSQL alike. Durations
are whole seconds and percentiles use the nearest-rank method (:mod:`services.sql_time`), which
lets ``bench/dashboard.py`` check the answers exactly against the same figures computed in
Python from rows.

Periods are local (Asia/Shanghai) days, first to last inclusive. What falls in a period: rides
loaded in it, consignments whose result became ready in it, tickets of its days (ratings by
their ticket's day) and fault alerts raised in it. Envelopes in the network and locker occupancy
are as they stand now.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, case, func, select, union_all
from sqlalchemy.orm import Session, aliased

from catalog.models import Campus, Department
from core import clock
from core.users import User
from courier.models import Consignment, ConsignmentRating, CustodyEvent
from courier.states import IN_NETWORK, Kind, State
from lockers.models import Alert, AlertKind, BankKind, Compartment, CompartmentState, LockerBank
from services.sql_time import (
    epoch_seconds,
    local_hour,
    nearest_rank,
    seconds_between,
    value_at_rank,
)
from tickets.models import Category, Hall, Rating, Ticket, Window

#: An unload more than this long after the load is no ride (a scan was missed on the way).
LONGEST_RIDE = 24 * 3600
#: Ratings at or above this level (of 5) count as satisfied (满意 and 非常满意).
SATISFIED = 4
#: Compartments holding or held for an envelope.
OCCUPIED = (CompartmentState.OCCUPIED, CompartmentState.RESERVED)


@dataclass(frozen=True)
class Period:
    """Local days ``first`` to ``last``, inclusive."""

    first: dt.date
    last: dt.date

    @classmethod
    def last_days(cls, days: int, today: dt.date | None = None) -> Period:
        """The ``days`` local days up to and including ``today``."""
        last = today or clock.local_now().date()
        return cls(last - dt.timedelta(days=days - 1), last)

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.first, dt.time(), tzinfo=clock.SHANGHAI)

    @property
    def end(self) -> dt.datetime:
        """The instant after the period (the next day's local midnight)."""
        return dt.datetime.combine(
            self.last + dt.timedelta(days=1), dt.time(), tzinfo=clock.SHANGHAI
        )


@dataclass(frozen=True)
class Named:
    """A campus, department, queue, bank or window as the tables show it."""

    code: str
    name: str
    name_en: str = ""


@dataclass(frozen=True)
class InNetwork:
    """Envelopes in one state on one campus (where they are, or where they started)."""

    campus: Named
    state: State
    count: int


@dataclass(frozen=True)
class Leg:
    """Shuttle rides from one campus to another: from the load scan to the unload scan."""

    origin: Named
    destination: Named
    rides: int
    median_seconds: int
    p90_seconds: int


@dataclass(frozen=True)
class Sla:
    """Consignments of a department whose result became ready in the period."""

    department: Named
    handled: int
    on_time: int
    median_handling_seconds: int

    @property
    def on_time_share(self) -> float:
        return self.on_time / self.handled


@dataclass(frozen=True)
class Bank:
    """A locker bank's compartments now, and its fault alerts in the period."""

    bank: Named
    kind: BankKind
    compartments: int
    occupied: int
    faulty: int
    fault_alerts: int

    @property
    def occupancy(self) -> float | None:
        return self.occupied / self.compartments if self.compartments else None


@dataclass(frozen=True)
class HallHour:
    """Tickets of one queue that started waiting in one local hour."""

    queue: Named
    hour: int
    tickets: int
    waited: int
    wait_seconds: int
    served: int
    service_seconds: int

    @property
    def mean_wait_seconds(self) -> float | None:
        return self.wait_seconds / self.waited if self.waited else None

    @property
    def mean_service_seconds(self) -> float | None:
        return self.service_seconds / self.served if self.served else None


@dataclass(frozen=True)
class Satisfaction:
    """Ratings of one window or one department."""

    of: Named
    ratings: int
    level_sum: int
    satisfied: int

    @property
    def mean_level(self) -> float:
        return self.level_sum / self.ratings

    @property
    def satisfied_share(self) -> float:
        return self.satisfied / self.ratings


def in_network(session: Session) -> list[InNetwork]:
    """Envelopes in the network now, by state and campus (the current campus, else the
    origin)."""
    campus_id = func.coalesce(Consignment.current_campus_id, Consignment.origin_campus_id)
    counts = (
        select(campus_id.label("campus_id"), Consignment.state, func.count().label("n"))
        .where(Consignment.state.in_(sorted(IN_NETWORK)))
        .group_by(campus_id, Consignment.state)
        .subquery()
    )
    rows = session.execute(
        select(Campus.code, Campus.name, Campus.name_en, counts.c.state, counts.c.n)
        .join(counts, counts.c.campus_id == Campus.id)
        .order_by(Campus.code, counts.c.state)
    )
    return [InNetwork(Named(code, name, en), State(state), n) for code, name, en, state, n in rows]


def transit_legs(session: Session, period: Period) -> list[Leg]:
    """Median and 90th percentile ride time per campus pair, of the rides loaded in the period.

    A ride is a load scan followed, among the consignment's load and unload scans in device
    time, by an unload (or a change of bus) within :data:`LONGEST_RIDE`.
    """
    order = (CustodyEvent.device_at, CustodyEvent.id)
    by_consignment = {"partition_by": CustodyEvent.consignment_id, "order_by": order}
    scans = (
        select(
            CustodyEvent.kind,
            CustodyEvent.campus_id,
            epoch_seconds(CustodyEvent.device_at).label("at"),
            func.lag(CustodyEvent.kind).over(**by_consignment).label("prev_kind"),
            func.lag(CustodyEvent.campus_id).over(**by_consignment).label("prev_campus"),
            func.lag(epoch_seconds(CustodyEvent.device_at)).over(**by_consignment).label("prev_at"),
        )
        .where(
            CustodyEvent.kind.in_([Kind.LOADED, Kind.UNLOADED, Kind.TRANSFERRED]),
            CustodyEvent.device_at >= period.start,
            CustodyEvent.device_at < period.end + dt.timedelta(seconds=LONGEST_RIDE),
        )
        .subquery()
    )
    rides = (
        select(
            scans.c.prev_campus.label("origin"),
            scans.c.campus_id.label("destination"),
            (scans.c.at - scans.c.prev_at).label("seconds"),
        )
        .where(
            scans.c.kind.in_([Kind.UNLOADED, Kind.TRANSFERRED]),
            scans.c.prev_kind == Kind.LOADED,
            scans.c.prev_at < int(period.end.timestamp()),
            scans.c.at - scans.c.prev_at <= LONGEST_RIDE,
            scans.c.prev_campus.is_not(None),
            scans.c.campus_id.is_not(None),
        )
        .subquery()
    )
    pair = (rides.c.origin, rides.c.destination)
    ranked = select(
        *pair,
        rides.c.seconds,
        func.row_number().over(partition_by=pair, order_by=rides.c.seconds).label("rank"),
        func.count().over(partition_by=pair).label("n"),
    ).subquery()
    figures = (
        select(
            ranked.c.origin,
            ranked.c.destination,
            func.max(ranked.c.n).label("n"),
            value_at_rank(ranked.c.seconds, ranked.c.rank, nearest_rank(50, ranked.c.n)).label(
                "p50"
            ),
            value_at_rank(ranked.c.seconds, ranked.c.rank, nearest_rank(90, ranked.c.n)).label(
                "p90"
            ),
        )
        .group_by(ranked.c.origin, ranked.c.destination)
        .subquery()
    )
    origin, destination = aliased(Campus), aliased(Campus)
    rows = session.execute(
        select(
            origin.code,
            origin.name,
            origin.name_en,
            destination.code,
            destination.name,
            destination.name_en,
            figures.c.n,
            figures.c.p50,
            figures.c.p90,
        )
        .join(origin, origin.id == figures.c.origin)
        .join(destination, destination.id == figures.c.destination)
        .order_by(origin.code, destination.code)
    )
    return [
        Leg(Named(oc, on, oe), Named(dc, dn, de), n, int(p50), int(p90))
        for oc, on, oe, dc, dn, de, n, p50, p90 in rows
    ]


def sla_by_department(session: Session, period: Period) -> list[Sla]:
    """On-time share and median handling time per department, of the consignments whose
    result became ready in the period. Handling runs from the SLA clock's start (受理, or the
    submission for items that say so) to result ready, less the time the clock was paused."""
    handling = (
        seconds_between(
            func.coalesce(Consignment.sla_started_at, Consignment.created_at),
            Consignment.result_ready_at,
        )
        - Consignment.sla_paused_seconds
    )
    done = select(
        Consignment.department_id,
        handling.label("seconds"),
        case((Consignment.result_ready_at <= Consignment.due_at, 1), else_=0).label("on_time"),
    ).where(Consignment.result_ready_at >= period.start, Consignment.result_ready_at < period.end)
    done = done.subquery()
    ranked = select(
        done.c.department_id,
        done.c.seconds,
        done.c.on_time,
        func.row_number()
        .over(partition_by=done.c.department_id, order_by=done.c.seconds)
        .label("rank"),
        func.count().over(partition_by=done.c.department_id).label("n"),
    ).subquery()
    figures = (
        select(
            ranked.c.department_id,
            func.max(ranked.c.n).label("n"),
            func.sum(ranked.c.on_time).label("on_time"),
            value_at_rank(ranked.c.seconds, ranked.c.rank, nearest_rank(50, ranked.c.n)).label(
                "p50"
            ),
        )
        .group_by(ranked.c.department_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Department.code,
            Department.name,
            Department.name_en,
            figures.c.n,
            figures.c.on_time,
            figures.c.p50,
        )
        .join(figures, figures.c.department_id == Department.id)
        .order_by(Department.code)
    )
    return [
        Sla(Named(code, name, en), n, int(on_time), int(p50))
        for code, name, en, n, on_time, p50 in rows
    ]


def locker_banks(session: Session, period: Period) -> list[Bank]:
    """Compartments, occupied and faulty ones per bank now, and fault alerts in the period."""
    compartments = (
        select(
            Compartment.bank_id,
            func.count().label("total"),
            func.sum(case((Compartment.state.in_(OCCUPIED), 1), else_=0)).label("occupied"),
            func.sum(case((Compartment.state == CompartmentState.FAULT, 1), else_=0)).label(
                "faulty"
            ),
        )
        .where(Compartment.state != CompartmentState.DISABLED)
        .group_by(Compartment.bank_id)
        .subquery()
    )
    alerts = (
        select(Alert.bank_id, func.count().label("n"))
        .where(
            Alert.kind == AlertKind.FAULT,
            Alert.created_at >= period.start,
            Alert.created_at < period.end,
        )
        .group_by(Alert.bank_id)
        .subquery()
    )
    rows = session.execute(
        select(
            LockerBank.controller,
            LockerBank.name,
            LockerBank.kind,
            func.coalesce(compartments.c.total, 0),
            func.coalesce(compartments.c.occupied, 0),
            func.coalesce(compartments.c.faulty, 0),
            func.coalesce(alerts.c.n, 0),
        )
        .outerjoin(compartments, compartments.c.bank_id == LockerBank.id)
        .outerjoin(alerts, alerts.c.bank_id == LockerBank.id)
        .order_by(LockerBank.controller)
    )
    return [
        Bank(Named(controller, name), BankKind(kind), int(total), int(occ), int(bad), int(n))
        for controller, name, kind, total, occ, bad, n in rows
    ]


def hall_hours(session: Session, period: Period) -> list[HallHour]:
    """Tickets, waits and service times per queue and local hour (of the start of waiting).

    A wait runs from ``wait_from`` to the first call, a service from its start to its finish
    (as the hall's own statistics count them).
    """
    hour = local_hour(Ticket.wait_from)
    called = Ticket.first_called_at.is_not(None)
    served = and_(Ticket.started_at.is_not(None), Ticket.finished_at.is_not(None))
    figures = (
        select(
            Ticket.category_id,
            hour.label("hour"),
            func.count().label("tickets"),
            func.sum(case((called, 1), else_=0)).label("waited"),
            func.sum(
                case((called, seconds_between(Ticket.wait_from, Ticket.first_called_at)), else_=0)
            ).label("wait"),
            func.sum(case((served, 1), else_=0)).label("served"),
            func.sum(
                case((served, seconds_between(Ticket.started_at, Ticket.finished_at)), else_=0)
            ).label("service"),
        )
        .where(Ticket.day >= period.first, Ticket.day <= period.last)
        .group_by(Ticket.category_id, hour)
        .subquery()
    )
    # Each hall letters its own queues: the hall's code tells two queues A apart.
    rows = session.execute(
        select(
            Category.prefix,
            Hall.code + " · " + Category.name,
            Hall.code + " · " + Category.name_en,
            figures.c.hour,
            figures.c.tickets,
            figures.c.waited,
            figures.c.wait,
            figures.c.served,
            figures.c.service,
        )
        .join(figures, figures.c.category_id == Category.id)
        .join(Hall, Hall.id == Category.hall_id)
        .order_by(Hall.id, Category.prefix, figures.c.hour)
    )
    return [
        HallHour(Named(prefix, name, en), int(h), n, int(waited), int(w), int(srv), int(s))
        for prefix, name, en, h, n, waited, w, srv, s in rows
    ]


def _rating_sums(key: object) -> tuple[object, ...]:
    return (
        key,
        func.count().label("n"),
        func.sum(Rating.level).label("level_sum"),
        func.sum(case((Rating.level >= SATISFIED, 1), else_=0)).label("satisfied"),
    )


def satisfaction_by_window(session: Session, period: Period) -> list[Satisfaction]:
    """Ratings per window of the tickets of the period's days."""
    sums = (
        select(*_rating_sums(Ticket.window_id))
        .join(Ticket, Ticket.id == Rating.ticket_id)
        .where(Ticket.day >= period.first, Ticket.day <= period.last)
        .group_by(Ticket.window_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Window.number,
            Hall.code + " · " + Window.name,
            sums.c.n,
            sums.c.level_sum,
            sums.c.satisfied,
        )
        .join(sums, sums.c.window_id == Window.id)
        .join(Hall, Hall.id == Window.hall_id)
        .order_by(Hall.id, Window.number)
    )
    return [
        Satisfaction(Named(str(number), name), n, int(total), int(happy))
        for number, name, n, total, happy in rows
    ]


def satisfaction_by_department(session: Session, period: Period) -> list[Satisfaction]:
    """Ratings per department (of the ticket's queue) of the tickets of the period's days;
    queues of no department are left out."""
    sums = (
        select(*_rating_sums(Category.department_id))
        .join(Ticket, Ticket.id == Rating.ticket_id)
        .join(Category, Category.id == Ticket.category_id)
        .where(
            Ticket.day >= period.first,
            Ticket.day <= period.last,
            Category.department_id.is_not(None),
        )
        .group_by(Category.department_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Department.code,
            Department.name,
            Department.name_en,
            sums.c.n,
            sums.c.level_sum,
            sums.c.satisfied,
        )
        .join(sums, sums.c.department_id == Department.id)
        .order_by(Department.code)
    )
    return [
        Satisfaction(Named(code, name, en), n, int(total), int(happy))
        for code, name, en, n, total, happy in rows
    ]


def agent_satisfaction_by_department(session: Session, period: Period) -> list[Satisfaction]:
    """代办 ratings (一事一评) given in the period, per department that handled the papers."""
    sums = (
        select(
            ConsignmentRating.department_id,
            func.count().label("n"),
            func.sum(ConsignmentRating.level).label("level_sum"),
            func.sum(case((ConsignmentRating.level >= SATISFIED, 1), else_=0)).label("satisfied"),
        )
        .where(
            ConsignmentRating.created_at >= period.start,
            ConsignmentRating.created_at < period.end,
        )
        .group_by(ConsignmentRating.department_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Department.code,
            Department.name,
            Department.name_en,
            sums.c.n,
            sums.c.level_sum,
            sums.c.satisfied,
        )
        .join(sums, sums.c.department_id == Department.id)
        .order_by(Department.code)
    )
    return [
        Satisfaction(Named(code, name, en), n, int(total), int(happy))
        for code, name, en, n, total, happy in rows
    ]


def satisfaction_by_clerk(session: Session, period: Period) -> list[Satisfaction]:
    """Ratings per member of staff, window services (tickets of the period's days, by the clerk
    who served) and 代办 (ratings given in the period, by the agent who handled) together."""
    window = (
        select(Ticket.staff_id.label("user_id"), Rating.level.label("level"))
        .join(Ticket, Ticket.id == Rating.ticket_id)
        .where(
            Ticket.day >= period.first,
            Ticket.day <= period.last,
            Ticket.staff_id.is_not(None),
        )
    )
    agent = select(
        ConsignmentRating.agent_id.label("user_id"), ConsignmentRating.level.label("level")
    ).where(
        ConsignmentRating.created_at >= period.start,
        ConsignmentRating.created_at < period.end,
        ConsignmentRating.agent_id.is_not(None),
    )
    both = union_all(window, agent).subquery()
    sums = (
        select(
            both.c.user_id,
            func.count().label("n"),
            func.sum(both.c.level).label("level_sum"),
            func.sum(case((both.c.level >= SATISFIED, 1), else_=0)).label("satisfied"),
        )
        .group_by(both.c.user_id)
        .subquery()
    )
    rows = session.execute(
        select(User.login, User.name, sums.c.n, sums.c.level_sum, sums.c.satisfied)
        .join(sums, sums.c.user_id == User.id)
        .order_by(User.login)
    )
    return [
        Satisfaction(Named(login, name), n, int(total), int(happy))
        for login, name, n, total, happy in rows
    ]


@dataclass(frozen=True)
class Dashboard:
    """Every figure of the dashboard for one period."""

    period: Period
    in_network: list[InNetwork]
    transit: list[Leg]
    sla: list[Sla]
    lockers: list[Bank]
    hall: list[HallHour]
    by_window: list[Satisfaction]
    by_department: list[Satisfaction]


def dashboard(session: Session, period: Period) -> Dashboard:
    """All the dashboard's figures for ``period``."""
    return Dashboard(
        period,
        in_network(session),
        transit_legs(session, period),
        sla_by_department(session, period),
        locker_banks(session, period),
        hall_hours(session, period),
        satisfaction_by_window(session, period),
        satisfaction_by_department(session, period),
    )

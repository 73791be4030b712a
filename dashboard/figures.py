"""The administrator's dashboard: network, transit, SLA, lockers, hall and satisfaction figures.

Every figure of a period is summed from the daily and monthly rollups of its days and the source
rows of the days not rolled up yet (:mod:`dashboard.rollups`), so the page stays fast at a year
of data on SQLite and PostgreSQL alike. Durations are whole seconds; percentiles use the
nearest-rank method over histograms, so they are given to their bucket's lower bound
(:func:`dashboard.sql_time.bucket`: to the minute below 2 h, to 10 minutes below 2 days, to the
hour beyond), which ``bench/dashboard.py`` checks exactly against the same figures computed in
Python from rows.

Periods are local (Asia/Shanghai) days, first to last inclusive. What falls in a period: rides
loaded in it, consignments whose result became ready in it, tickets of its days (ratings by
their ticket's day) and fault alerts raised in it. Envelopes in the network and locker occupancy
are as they stand now.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from catalog.models import Campus, Department
from core import clock
from core.users import User
from courier.models import Consignment
from courier.states import IN_NETWORK, State
from dashboard import rollups
from dashboard.rollups import FAULTS, HALL, RATINGS, RIDES, SLA, Family
from lockers.models import BankKind, Compartment, CompartmentState, LockerBank
from tickets.models import Category, Hall, Window

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


def _sums(
    session: Session,
    family: Family,
    period: Period,
    by: tuple[str, ...],
    where: Callable[[Any], Any] | None = None,
) -> list[Any]:
    return rollups.sums(session, family, period.first, period.last, by, where)


def nearest_rank(histogram: Iterable[tuple[int, int]], percent: int) -> int:
    """The ``percent`` percentile by the nearest-rank method (ceil(p·n/100), the median is the
    lower middle of an even count) of a histogram of (bucket, count): the bucket it falls in."""
    ordered = sorted(histogram)
    wanted = (sum(count for _, count in ordered) * percent + 99) // 100
    seen = 0
    for value, count in ordered:
        seen += count
        if seen >= wanted:
            return value
    raise ValueError("an empty histogram has no percentile")


def _campuses(session: Session) -> dict[int, Named]:
    rows = session.execute(select(Campus.id, Campus.code, Campus.name, Campus.name_en))
    return {id_: Named(code, name, en) for id_, code, name, en in rows}


def _departments(session: Session) -> dict[int, Named]:
    rows = session.execute(
        select(Department.id, Department.code, Department.name, Department.name_en)
    )
    return {id_: Named(code, name, en) for id_, code, name, en in rows}


def transit_legs(session: Session, period: Period) -> list[Leg]:
    """Median and 90th percentile ride time (to the bucket) per campus pair, of the rides loaded
    in the period (a ride is defined in :func:`dashboard.rollups._rides`)."""
    histograms: defaultdict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    for origin, destination, seconds, rides in _sums(
        session, RIDES, period, ("origin_campus_id", "destination_campus_id", "bucket")
    ):
        histograms[origin, destination].append((seconds, int(rides)))
    campuses = _campuses(session)
    legs = [
        Leg(
            campuses[origin],
            campuses[destination],
            sum(count for _, count in histogram),
            nearest_rank(histogram, 50),
            nearest_rank(histogram, 90),
        )
        for (origin, destination), histogram in histograms.items()
    ]
    return sorted(legs, key=lambda leg: (leg.origin.code, leg.destination.code))


def sla_by_department(session: Session, period: Period) -> list[Sla]:
    """On-time share and median handling time (to the bucket) per department, of the
    consignments whose result became ready in the period."""
    histograms: defaultdict[int, list[tuple[int, int]]] = defaultdict(list)
    on_time: defaultdict[int, int] = defaultdict(int)
    for department, seconds, handled, in_time in _sums(
        session, SLA, period, ("department_id", "bucket")
    ):
        histograms[department].append((seconds, int(handled)))
        on_time[department] += int(in_time)
    departments = _departments(session)
    figures = [
        Sla(
            departments[department],
            sum(count for _, count in histogram),
            on_time[department],
            nearest_rank(histogram, 50),
        )
        for department, histogram in histograms.items()
    ]
    return sorted(figures, key=lambda row: row.department.code)


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
    alerts = {bank: int(n) for bank, n in _sums(session, FAULTS, period, ("bank_id",))}
    rows = session.execute(
        select(
            LockerBank.id,
            LockerBank.controller,
            LockerBank.name,
            LockerBank.kind,
            func.coalesce(compartments.c.total, 0),
            func.coalesce(compartments.c.occupied, 0),
            func.coalesce(compartments.c.faulty, 0),
        )
        .outerjoin(compartments, compartments.c.bank_id == LockerBank.id)
        .order_by(LockerBank.controller)
    )
    return [
        Bank(
            Named(controller, name),
            BankKind(kind),
            int(total),
            int(occ),
            int(bad),
            alerts.get(id_, 0),
        )
        for id_, controller, name, kind, total, occ, bad in rows
    ]


def hall_hours(session: Session, period: Period) -> list[HallHour]:
    """Tickets, waits and service times per queue and local hour (of the start of waiting) of
    the tickets of the period's days."""
    # Each hall letters its own queues: the hall's code tells two queues A apart.
    queues = {
        id_: (hall, Named(prefix, f"{code} · {name}", f"{code} · {name_en}"))
        for id_, hall, prefix, code, name, name_en in session.execute(
            select(
                Category.id,
                Hall.id,
                Category.prefix,
                Hall.code,
                Category.name,
                Category.name_en,
            ).join(Hall, Hall.id == Category.hall_id)
        )
    }
    hours = [
        (queues[category], HallHour(queues[category][1], int(hour), *map(int, sums)))
        for category, hour, *sums in _sums(session, HALL, period, ("category_id", "hour"))
    ]
    hours.sort(key=lambda pair: (pair[0][0], pair[1].queue.code, pair[1].hour))
    return [hour for _, hour in hours]


def _satisfaction(rows: Iterable[Any], names: dict[int, Named]) -> list[Satisfaction]:
    """Rating sums keyed by id, as :class:`Satisfaction` of the named ones (in ``names``'
    order)."""
    sums = {key: (int(n), int(total), int(happy)) for key, n, total, happy in rows}
    return [Satisfaction(names[key], *sums[key]) for key in names if key in sums]


def satisfaction_by_window(session: Session, period: Period) -> list[Satisfaction]:
    """Ratings per window of the tickets of the period's days."""
    windows = {
        id_: Named(str(number), f"{code} · {name}")
        for id_, number, code, name in session.execute(
            select(Window.id, Window.number, Hall.code, Window.name)
            .join(Hall, Hall.id == Window.hall_id)
            .order_by(Hall.id, Window.number)
        )
    }
    rows = _sums(session, RATINGS, period, ("window_id",), lambda c: c.source == "hall")
    return _satisfaction(rows, windows)


def _by_code(names: dict[int, Named]) -> dict[int, Named]:
    return dict(sorted(names.items(), key=lambda item: item[1].code))


def satisfaction_by_department(session: Session, period: Period) -> list[Satisfaction]:
    """Ratings per department (of the ticket's queue) of the tickets of the period's days;
    queues of no department are left out."""
    rows = _sums(session, RATINGS, period, ("department_id",), lambda c: c.source == "hall")
    return _satisfaction(rows, _by_code(_departments(session)))


def agent_satisfaction_by_department(session: Session, period: Period) -> list[Satisfaction]:
    """代办 ratings (一事一评) given in the period, per department that handled the papers."""
    rows = _sums(session, RATINGS, period, ("department_id",), lambda c: c.source == "agent")
    return _satisfaction(rows, _by_code(_departments(session)))


def satisfaction_by_clerk(session: Session, period: Period) -> list[Satisfaction]:
    """Ratings per member of staff, window services (tickets of the period's days, by the clerk
    who served) and 代办 (ratings given in the period, by the agent who handled) together."""
    rows = _sums(session, RATINGS, period, ("user_id",))
    ids = [row[0] for row in rows if row[0] is not None]
    staff = {
        id_: Named(login, name)
        for id_, login, name in session.execute(
            select(User.id, User.login, User.name).where(User.id.in_(ids)).order_by(User.login)
        )
    }
    return _satisfaction(rows, staff)


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

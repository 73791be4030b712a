"""The dashboard's figures as per-day sums, from the source rows or from the rollup tables.

Each :class:`Family` is one kind of figure: its per-day sums from the source rows (``raw``), and
the table that keeps them (:mod:`dashboard.models`). :func:`refresh`, a scheduled job, rolls up
the days that are over (never today), again for the last :data:`RECENT_DAYS` days because scans
and ratings arrive late, and month rows for every whole month rolled up. :func:`sums` reads a
period as the rollups of its days up to the watermark (a month's row for each whole month) and
the source rows of the days after it, summed together: the figures are the source rows' at every
moment, whether or not the job has run, and the same query builds the rollups and the live tail.

Late data that arrives more than :data:`RECENT_DAYS` days after its day is not seen by the
rollups until that day is rolled up again (:func:`roll_up`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Integer,
    Row,
    Select,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from core import clock
from courier.models import Consignment, ConsignmentRating, CustodyEvent
from courier.states import Kind
from dashboard.models import (
    FaultRollup,
    HallRollup,
    RatingRollup,
    RideRollup,
    RolledUp,
    Rollup,
    SlaRollup,
)
from dashboard.sql_time import bucket, epoch_seconds, local_date, local_hour, seconds_between
from lockers.models import Alert, AlertKind
from tickets.models import Category, Rating, Ticket

#: An unload more than this long after the load is no ride (a scan was missed on the way).
LONGEST_RIDE = 24 * 3600
#: Ratings at or above this level (of 5) count as satisfied (满意 and 非常满意).
SATISFIED = 4
#: Days rolled up again at every run: scans queued offline and ratings given days later land
#: on their own day, and are counted if they come within this many days.
RECENT_DAYS = 7
#: Days one run rolls up at most when catching up (a first run on a year of data): each run is
#: one transaction, and a month of a busy year takes seconds, not minutes, of the write lock.
CATCH_UP_DAYS = 31
RIDE_SCANS = (Kind.LOADED, Kind.UNLOADED, Kind.TRANSFERRED)


def _start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=clock.SHANGHAI)


def _end(day: dt.date) -> dt.datetime:
    """The instant after local ``day`` (the next local midnight)."""
    return _start(day + dt.timedelta(days=1))


def _rides(first: dt.date, last: dt.date) -> Select[Any]:
    """Rides loaded on each day, per campus pair and ride-time bucket.

    A ride is a load scan followed, among the consignment's load and unload scans in device
    time, by an unload (or a change of bus) within :data:`LONGEST_RIDE`.
    """
    order = (CustodyEvent.device_at, CustodyEvent.id)
    by_consignment = {"partition_by": CustodyEvent.consignment_id, "order_by": order}
    at = epoch_seconds(CustodyEvent.device_at)
    scans = (
        select(
            CustodyEvent.kind,
            CustodyEvent.campus_id,
            at.label("at"),
            func.lag(CustodyEvent.kind).over(**by_consignment).label("prev_kind"),
            func.lag(CustodyEvent.campus_id).over(**by_consignment).label("prev_campus"),
            func.lag(CustodyEvent.device_at).over(**by_consignment).label("prev_device_at"),
            func.lag(at).over(**by_consignment).label("prev_at"),
        )
        .where(
            CustodyEvent.kind.in_(RIDE_SCANS),
            CustodyEvent.device_at >= _start(first),
            CustodyEvent.device_at < _end(last) + dt.timedelta(seconds=LONGEST_RIDE),
        )
        .subquery()
    )
    seconds = scans.c.at - scans.c.prev_at
    rides = (
        select(
            local_date(scans.c.prev_device_at).label("day"),
            scans.c.prev_campus.label("origin_campus_id"),
            scans.c.campus_id.label("destination_campus_id"),
            bucket(seconds).label("bucket"),
        )
        .where(
            scans.c.kind.in_([Kind.UNLOADED, Kind.TRANSFERRED]),
            scans.c.prev_kind == Kind.LOADED,
            scans.c.prev_at < int(_end(last).timestamp()),
            seconds <= LONGEST_RIDE,
            scans.c.prev_campus.is_not(None),
            scans.c.campus_id.is_not(None),
        )
        .subquery()
    )
    keys = (rides.c.day, rides.c.origin_campus_id, rides.c.destination_campus_id, rides.c.bucket)
    return select(*keys, func.count().label("rides")).group_by(*keys)


def _sla(first: dt.date, last: dt.date) -> Select[Any]:
    """Consignments whose result became ready on each day, per department and handling-time
    bucket. Handling runs from the SLA clock's start (受理, or the submission for items that say
    so) to result ready, less the time the clock was paused."""
    handling = (
        seconds_between(
            func.coalesce(Consignment.sla_started_at, Consignment.created_at),
            Consignment.result_ready_at,
        )
        - Consignment.sla_paused_seconds
    )
    done = (
        select(
            local_date(Consignment.result_ready_at).label("day"),
            Consignment.department_id,
            bucket(handling).label("bucket"),
            case((Consignment.result_ready_at <= Consignment.due_at, 1), else_=0).label("on_time"),
        )
        .where(
            Consignment.result_ready_at >= _start(first),
            Consignment.result_ready_at < _end(last),
        )
        .subquery()
    )
    keys = (done.c.day, done.c.department_id, done.c.bucket)
    return select(
        *keys, func.count().label("handled"), func.sum(done.c.on_time).label("on_time")
    ).group_by(*keys)


def _hall(first: dt.date, last: dt.date) -> Select[Any]:
    """Tickets of each day per queue and local hour of the start of waiting. A wait runs from
    ``wait_from`` to the first call, a service from its start to its finish (as the hall's own
    statistics count them)."""
    called = Ticket.first_called_at.is_not(None)
    served = and_(Ticket.started_at.is_not(None), Ticket.finished_at.is_not(None))
    tickets = (
        select(
            Ticket.day,
            Ticket.category_id,
            local_hour(Ticket.wait_from).label("hour"),
            case((called, 1), else_=0).label("waited"),
            case(
                (called, seconds_between(Ticket.wait_from, Ticket.first_called_at)), else_=0
            ).label("wait_seconds"),
            case((served, 1), else_=0).label("served"),
            case((served, seconds_between(Ticket.started_at, Ticket.finished_at)), else_=0).label(
                "service_seconds"
            ),
        )
        .where(Ticket.day >= first, Ticket.day <= last)
        .subquery()
    )
    keys = (tickets.c.day, tickets.c.category_id, tickets.c.hour)
    measures = ("waited", "wait_seconds", "served", "service_seconds")
    return select(
        *keys,
        func.count().label("tickets"),
        *(func.sum(tickets.c[m]).label(m) for m in measures),
    ).group_by(*keys)


def _ratings(first: dt.date, last: dt.date) -> Select[Any]:
    """Ratings summed per day: window services by their ticket's day (per window, department of
    the queue and clerk who served), 代办 by the day they were given (per department and agent)."""
    hall = (
        select(
            Ticket.day.label("day"),
            literal_column("'hall'").label("source"),
            Ticket.window_id.label("window_id"),
            Category.department_id.label("department_id"),
            Ticket.staff_id.label("user_id"),
            Rating.level.label("level"),
        )
        .join(Ticket, Ticket.id == Rating.ticket_id)
        .join(Category, Category.id == Ticket.category_id)
        .where(Ticket.day >= first, Ticket.day <= last)
    )
    agent = select(
        local_date(ConsignmentRating.created_at).label("day"),
        literal_column("'agent'"),
        cast(null(), Integer),
        ConsignmentRating.department_id,
        ConsignmentRating.agent_id,
        ConsignmentRating.level,
    ).where(
        ConsignmentRating.created_at >= _start(first),
        ConsignmentRating.created_at < _end(last),
    )
    both = union_all(hall, agent).subquery()
    keys = (both.c.day, both.c.source, both.c.window_id, both.c.department_id, both.c.user_id)
    return select(
        *keys,
        func.count().label("ratings"),
        func.sum(both.c.level).label("level_sum"),
        func.sum(case((both.c.level >= SATISFIED, 1), else_=0)).label("satisfied"),
    ).group_by(*keys)


def _faults(first: dt.date, last: dt.date) -> Select[Any]:
    """Fault alerts raised on each day, per locker bank."""
    alerts = (
        select(local_date(Alert.created_at).label("day"), Alert.bank_id)
        .where(
            Alert.kind == AlertKind.FAULT,
            Alert.created_at >= _start(first),
            Alert.created_at < _end(last),
        )
        .subquery()
    )
    keys = (alerts.c.day, alerts.c.bank_id)
    return select(*keys, func.count().label("alerts")).group_by(*keys)


@dataclass(frozen=True)
class Family:
    """One kind of figure: the per-day sums ``raw`` gives from the source rows for a range of
    days, by ``keys``, and the ``model`` that keeps them."""

    model: type[Rollup]
    keys: tuple[str, ...]
    sums: tuple[str, ...]
    raw: Callable[[dt.date, dt.date], Select[Any]]

    def columns(self) -> tuple[str, ...]:
        return (*self.keys, *self.sums)

    def from_rows(self, first: dt.date, last: dt.date) -> Select[Any]:
        """The per-day sums of the source rows, day first, then the keys and the sums."""
        raw = self.raw(first, last).subquery()
        return select(raw.c.day, *(raw.c[name] for name in self.columns()))


RIDES = Family(
    RideRollup, ("origin_campus_id", "destination_campus_id", "bucket"), ("rides",), _rides
)
SLA = Family(SlaRollup, ("department_id", "bucket"), ("handled", "on_time"), _sla)
HALL = Family(
    HallRollup,
    ("category_id", "hour"),
    ("tickets", "waited", "wait_seconds", "served", "service_seconds"),
    _hall,
)
RATINGS = Family(
    RatingRollup,
    ("source", "window_id", "department_id", "user_id"),
    ("ratings", "level_sum", "satisfied"),
    _ratings,
)
FAULTS = Family(FaultRollup, ("bank_id",), ("alerts",), _faults)
FAMILIES = (RIDES, SLA, HALL, RATINGS, FAULTS)


def _month_end(first: dt.date) -> dt.date:
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def _months(first: dt.date, last: dt.date) -> Iterator[tuple[dt.date, dt.date]]:
    """The first and last day of every month that ``first`` to ``last`` touch."""
    month = first.replace(day=1)
    while month <= last:
        end = _month_end(month)
        yield month, end
        month = end + dt.timedelta(days=1)


def roll_up(session: Session, first: dt.date, last: dt.date) -> None:
    """Rebuild the day rows of ``first`` to ``last`` from the source rows (and nothing else:
    month rows and the watermark are :func:`refresh`'s)."""
    for family in FAMILIES:
        model = family.model
        session.execute(delete(model).where(model.month.is_(False), model.day.between(first, last)))
        session.execute(
            insert(model).from_select(["day", *family.columns()], family.from_rows(first, last))
        )


def _roll_up_month(session: Session, first: dt.date, last: dt.date) -> None:
    """Rebuild the month rows of the month ``first`` to ``last`` from its day rows."""
    for family in FAMILIES:
        model = family.model
        session.execute(delete(model).where(model.month.is_(True), model.day == first))
        keys = [getattr(model, name) for name in family.keys]
        days = (
            select(
                literal(first, model.day.type),
                literal(True),
                *keys,
                *(func.sum(getattr(model, name)) for name in family.sums),
            )
            .where(model.month.is_(False), model.day.between(first, last))
            .group_by(*keys)
        )
        session.execute(insert(model).from_select(["day", "month", *family.columns()], days))


def _first_day(session: Session) -> dt.date | None:
    """The first local day any source row counts on, if there is any."""
    instants = [
        session.scalar(
            select(func.min(CustodyEvent.device_at)).where(CustodyEvent.kind.in_(RIDE_SCANS))
        ),
        session.scalar(select(func.min(Consignment.result_ready_at))),
        session.scalar(select(func.min(ConsignmentRating.created_at))),
        session.scalar(select(func.min(Alert.created_at)).where(Alert.kind == AlertKind.FAULT)),
    ]
    days = [at.astimezone(clock.SHANGHAI).date() for at in instants if at is not None]
    ticket_day = session.scalar(select(func.min(Ticket.day)))
    return min([*days, *([ticket_day] if ticket_day else [])], default=None)


def rolled_up_through(session: Session) -> dt.date | None:
    """The watermark: the last day whose rollups stand for its source rows."""
    state = session.get(RolledUp, 1)
    return state.through if state else None


def refresh(session: Session, catch_up_days: int = CATCH_UP_DAYS) -> str:
    """The scheduled job: roll up the last :data:`RECENT_DAYS` days that are over, and up to
    ``catch_up_days`` days never rolled up (oldest first), then the month rows of every whole
    month those days touch, and move the watermark. Running it again changes nothing."""
    yesterday = clock.local_now().date() - dt.timedelta(days=1)
    state = session.get(RolledUp, 1)
    if state is None:
        state = RolledUp(id=1, through=None)
        session.add(state)
    if state.through is None:
        first = _first_day(session) or yesterday + dt.timedelta(days=1)
    else:
        recent = yesterday - dt.timedelta(days=RECENT_DAYS - 1)
        first = min(state.through + dt.timedelta(days=1), recent)
    last = min(yesterday, first + dt.timedelta(days=catch_up_days - 1))
    if first > last:
        state.through = state.through or yesterday
        session.flush()
        return "nothing to roll up"
    roll_up(session, first, last)
    through = max(state.through or last, last)
    state.through = through
    for month_first, month_last in _months(first, last):
        if month_last <= through:
            _roll_up_month(session, month_first, month_last)
    session.flush()
    return f"rolled up {first} to {last}"


def _rolled_up_rows(
    model: type[Rollup], first: dt.date, last: dt.date
) -> list[ColumnElement[bool]]:
    """The rows that sum ``first`` to ``last``, as ranges of the index: a month's row for each
    whole month, the day rows of the rest. Read one range at a time, each is a walk along the
    index alone (SQLite reads the rows of an OR of ranges from the table)."""
    wholes = [(a, b) for a, b in _months(first, last) if a >= first and b <= last]
    if not wholes:
        return [and_(model.month.is_(False), model.day.between(first, last))]
    ranges = [and_(model.month.is_(True), model.day.between(wholes[0][0], wholes[-1][0]))]
    if first < wholes[0][0]:
        head = wholes[0][0] - dt.timedelta(days=1)
        ranges.append(and_(model.month.is_(False), model.day.between(first, head)))
    if wholes[-1][1] < last:
        tail = wholes[-1][1] + dt.timedelta(days=1)
        ranges.append(and_(model.month.is_(False), model.day.between(tail, last)))
    return ranges


def sums(
    session: Session,
    family: Family,
    first: dt.date,
    last: dt.date,
    by: tuple[str, ...],
    where: Callable[[Any], ColumnElement[bool]] | None = None,
) -> list[Row[Any]]:
    """``family``'s sums over the days ``first`` to ``last`` by the keys ``by`` (those rows
    ``where`` keeps): rollups up to the watermark, source rows after it."""
    through = rolled_up_through(session)
    model = family.model
    parts: list[Select[Any]] = []
    if through is not None and first <= through:
        parts.extend(
            select(*(getattr(model, name) for name in family.columns())).where(rows)
            for rows in _rolled_up_rows(model, first, min(last, through))
        )
    live = first if through is None else max(first, through + dt.timedelta(days=1))
    if live <= last:
        raw = family.raw(live, last).subquery()
        parts.append(select(*(raw.c[name] for name in family.columns())))
    both = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
    query = select(
        *(both.c[name] for name in by),
        *(func.sum(both.c[name]).label(name) for name in family.sums),
    ).group_by(*(both.c[name] for name in by))
    if where is not None:
        query = query.where(where(both.c))
    return list(session.execute(query))

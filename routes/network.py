"""The timetable as the planner sees it: a snapshot of stops, trips and emptying rounds, and the
connections of each service day (working days, days off, term time or vacation)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field, replace
from itertools import pairwise

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Location, LocationKind
from core.clock import SHANGHAI
from core.workdays import WorkCalendar
from routes.csa import Connection
from routes.models import (
    DayType,
    DropBoxEmptying,
    Season,
    ServicePeriod,
    Stop,
    TimetableRevision,
    Trip,
)

#: Where the snapshot is cached in ``Session.info``; :func:`changed` drops it.
CACHE_KEY = "routes.timetable"
#: The process's last snapshot and the revision token it was loaded under.
_shared: dict[str, tuple[str, Timetable]] = {}
DAY = 1440


@dataclass(frozen=True)
class StopInfo:
    id: int
    code: str
    location_id: int
    campus_id: int
    is_hub: bool
    transfer: int


@dataclass(frozen=True)
class TripPattern:
    """A trip's calls as ``(stop, arrive, depart)`` minutes after midnight."""

    id: int
    code: str
    line: str
    days: DayType
    season: Season
    calls: tuple[tuple[int, int, int], ...]


@dataclass(frozen=True)
class Round:
    location_id: int
    campus_id: int
    stop_id: int
    minute: int
    days: DayType
    carry: int


@dataclass
class Timetable:
    """Everything planning needs, loaded once per session and reused."""

    stops: dict[int, StopInfo]
    trips: list[TripPattern]
    periods: list[tuple[dt.date, dt.date, Season]]
    rounds: list[Round]
    _days: dict[tuple[dt.date, bool], list[tuple[int, int, int, int, int]]] = field(
        default_factory=dict
    )
    calendars: dict[tuple[dt.date, int], WorkCalendar] = field(default_factory=dict)

    @classmethod
    def of(cls, session: Session) -> Timetable:
        """The session's snapshot: the process's shared one while the timetable's revision
        token is unchanged (work calendars stay per session: holidays change on their own)."""
        cached = session.info.get(CACHE_KEY)
        if cached is None:
            token = revision(session)
            shared = _shared.get("timetable")
            if token and shared is not None and shared[0] == token:
                cached = replace(shared[1], calendars={})
            else:
                cached = cls.load(session)
                if token:
                    _shared["timetable"] = (token, cached)
            session.info[CACHE_KEY] = cached
        return cached  # type: ignore[no-any-return]

    @classmethod
    def load(cls, session: Session) -> Timetable:
        stops = {
            s.id: StopInfo(
                s.id, s.location.code, s.location_id, s.campus_id, s.is_hub, s.transfer_minutes
            )
            for s in session.scalars(select(Stop))
        }
        trips = [
            TripPattern(
                t.id,
                t.code,
                t.line.code,
                t.days,
                t.season,
                tuple((st.stop_id, st.arrive_minute, st.depart_minute) for st in t.stop_times),
            )
            for t in session.scalars(select(Trip).order_by(Trip.id))
        ]
        periods = [
            (p.starts_on, p.ends_on, p.season) for p in session.scalars(select(ServicePeriod))
        ]
        rounds = [
            Round(
                r.location_id,
                r.location.campus_id,
                r.stop_id,
                r.minute,
                r.days,
                r.carry_minutes,
            )
            for r in session.scalars(select(DropBoxEmptying).order_by(DropBoxEmptying.minute))
        ]
        return cls(stops, trips, periods, rounds)

    @property
    def configured(self) -> bool:
        """Whether any shuttle runs at all; without a timetable nothing is planned."""
        return bool(self.trips)

    def season(self, day: dt.date) -> Season:
        for first, last, season in self.periods:
            if first <= day <= last:
                return season
        return Season.TERM

    def stops_of(self, campus_id: int) -> list[StopInfo]:
        return [s for s in self.stops.values() if s.campus_id == campus_id]

    def hub_of(self, campus_id: int) -> StopInfo | None:
        """The campus's hub (else any stop there): where envelopes are sorted."""
        stops = sorted(self.stops_of(campus_id), key=lambda s: (not s.is_hub, s.code))
        return stops[0] if stops else None

    def sorting_minutes(self, campus_id: int) -> int:
        hub = self.hub_of(campus_id)
        return hub.transfer if hub else 0

    def transfers(self) -> dict[int, int]:
        return {s.id: s.transfer for s in self.stops.values()}

    def trips_on(self, day: dt.date, calendar: WorkCalendar) -> list[TripPattern]:
        workday = calendar.is_workday(day)
        season = self.season(day)
        return [t for t in self.trips if runs(t.days, workday) and t.season in (Season.ALL, season)]

    def connections(self, day: dt.date, calendar: WorkCalendar, offset: int) -> list[Connection]:
        """The day's connections, sorted, with times ``offset`` minutes on; a trip's key is
        unique per service day."""
        key = (day, calendar.is_workday(day))
        rows = self._days.get(key)
        if rows is None:
            rows = []
            for trip in self.trips_on(day, calendar):
                for (a, _, dep), (b, arr, _) in pairwise(trip.calls):
                    rows.append((dep, arr, a, b, trip.id))
            rows.sort()
            self._days[key] = rows
        base = offset
        day_key = offset // DAY
        return [
            Connection(a, b, base + dep, base + arr, day_key * 10_000_000 + trip)
            for dep, arr, a, b, trip in rows
        ]


def revision(session: Session) -> str | None:
    """The timetable's current revision token (None before any timetable was loaded)."""
    return session.scalar(select(TimetableRevision.token).where(TimetableRevision.id == 1))


def changed(session: Session) -> None:
    """Record a change to the timetable: this session and every process plan on a new snapshot.

    The token is random, so a change that is rolled back can never make another process trust
    a snapshot of it.
    """
    session.info.pop(CACHE_KEY, None)
    row = session.get(TimetableRevision, 1)
    token = uuid.uuid4().hex
    if row is None:
        session.add(TimetableRevision(id=1, token=token))
    else:
        row.token = token
    session.flush()


def runs(days: DayType, workday: bool) -> bool:
    """Whether something that runs on ``days`` runs on a working day (or a day off)."""
    if days is DayType.DAILY:
        return True
    return workday if days is DayType.WORKDAY else not workday


def trip_of_key(key: int) -> int:
    """The trip id in a connection's per-day trip key."""
    return key % 10_000_000


def local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=SHANGHAI)


def stop_locations(session: Session) -> dict[str, Location]:
    """The catalog places a timetable may name: shuttle stops and locker sites, by code."""
    return {
        loc.code: loc
        for loc in session.scalars(
            select(Location).where(
                Location.kind.in_([LocationKind.SHUTTLE_STOP, LocationKind.LOCKER_SITE])
            )
        )
    }

"""The timetable as the planner sees it: a snapshot of stops, trips and emptying rounds, and the
connections of each service day (working days, days off, term time or vacation)."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import groupby, pairwise
from operator import itemgetter
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Location, LocationKind
from core.clock import SHANGHAI
from core.workdays import CalendarRevision, WorkCalendar
from routes.csa import Day, Profile
from routes.models import (
    DayType,
    DropBoxEmptying,
    Line,
    Season,
    ServicePeriod,
    Stop,
    StopTime,
    TimetableRevision,
    Trip,
)

if TYPE_CHECKING:
    from routes.planner import Route

#: Where the snapshot is cached in ``Session.info``; :func:`changed` drops it.
CACHE_KEY = "routes.timetable"
DAY = 1440
#: Days a target's profile covers: most envelopes arrive the same day or the next.
PROFILE_DAYS = 2
#: Plans to one campus from one day before its profile is built: a one-off query scans.
PROFILE_AFTER = 3
#: Profiles a snapshot keeps (each holds about one entry per connection of its days).
PROFILES_KEPT = 48

#: A profile's target campus, first day and which of its days are working days.
ProfileKey = tuple[int, dt.date, tuple[bool, ...]]


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
    """Everything planning needs, loaded once and shared by the sessions of a process while
    the timetable's revision is unchanged (see :class:`SnapshotCache`).

    Stops are also numbered densely (``stop_ids``, ``index``) and each service day's
    connections kept as a :class:`~routes.csa.Day` on that numbering, so that a query scans
    plain integers.
    """

    stops: dict[int, StopInfo]
    trips: list[TripPattern]
    periods: list[tuple[dt.date, dt.date, Season]]
    rounds: list[Round]
    _days: dict[tuple[dt.date, bool], Day] = field(default_factory=dict)
    _profiles: dict[ProfileKey, Profile] = field(default_factory=dict)
    _asked: Counter[ProfileKey] = field(default_factory=Counter)
    #: Profiles being built, each with the id of the process that asked for it.
    _building: dict[ProfileKey, tuple[int, Future[Profile]]] = field(default_factory=dict)
    #: Per profile, the routes planned from it by (source campus group, entry): planning a scan
    #: batch asks the same few questions again and again.
    answers: dict[ProfileKey, dict[tuple[int, int], Route]] = field(default_factory=dict)
    _campus_stops: dict[int, list[StopInfo]] = field(default_factory=dict)
    _sorting: dict[int, int] = field(default_factory=dict)
    calendars: dict[tuple[dt.date, int], WorkCalendar] = field(default_factory=dict)
    stop_ids: list[int] = field(default_factory=list)
    index: dict[int, int] = field(default_factory=dict)
    transfer_list: list[int] = field(default_factory=list)
    #: Per dense stop, its campus's group number; per campus, its group and its stops' ids.
    stop_group: list[int] = field(default_factory=list)
    groups: dict[int, tuple[int, frozenset[int]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.index or not self.stops:
            return
        self.stop_ids = sorted(self.stops)
        self.index = {stop: n for n, stop in enumerate(self.stop_ids)}
        self.transfer_list = [self.stops[stop].transfer for stop in self.stop_ids]
        campuses = sorted({s.campus_id for s in self.stops.values()})
        self.groups = {
            campus: (n, frozenset(s.id for s in self.stops.values() if s.campus_id == campus))
            for n, campus in enumerate(campuses)
        }
        self.stop_group = [self.groups[self.stops[stop].campus_id][0] for stop in self.stop_ids]

    @classmethod
    def of(cls, session: Session, cache: SnapshotCache | None = None) -> Timetable:
        """The session's snapshot: the process's shared one (work calendars included) while
        the revision tokens of the timetable and of the special days are unchanged."""
        cached = session.info.get(CACHE_KEY)
        if cached is None:
            cached = (cache or snapshots).current(session)
            session.info[CACHE_KEY] = cached
        return cached  # type: ignore[no-any-return]

    @classmethod
    def load(cls, session: Session) -> Timetable:
        """Read the whole timetable from the database."""
        stops = {
            s.id: StopInfo(
                s.id, s.location.code, s.location_id, s.campus_id, s.is_hub, s.transfer_minutes
            )
            for s in session.scalars(select(Stop))
        }
        # Plain rows through the connection: the ORM's row handling doubled the time of reading
        # tens of thousands of calls.
        connection = session.connection()
        calls = {
            trip_id: tuple((stop_id, arrive, depart) for _, stop_id, arrive, depart in rows)
            for trip_id, rows in groupby(
                connection.execute(
                    select(
                        StopTime.trip_id,
                        StopTime.stop_id,
                        StopTime.arrive_minute,
                        StopTime.depart_minute,
                    ).order_by(StopTime.trip_id, StopTime.seq)
                ),
                key=itemgetter(0),
            )
        }
        trips = [
            TripPattern(id_, code, line, days, season, calls.get(id_, ()))
            for id_, code, line, days, season in connection.execute(
                select(Trip.id, Trip.code, Line.code, Trip.days, Trip.season)
                .join(Line, Trip.line_id == Line.id)
                .order_by(Trip.id)
            )
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
        found = self._campus_stops.get(campus_id)
        if found is None:
            found = [s for s in self.stops.values() if s.campus_id == campus_id]
            self._campus_stops[campus_id] = found
        return found

    def hub_of(self, campus_id: int) -> StopInfo | None:
        """The campus's hub (else any stop there): where envelopes are sorted."""
        stops = self.stops_of(campus_id)
        return min(stops, key=lambda s: (not s.is_hub, s.code)) if stops else None

    def sorting_minutes(self, campus_id: int) -> int:
        found = self._sorting.get(campus_id)
        if found is None:
            hub = self.hub_of(campus_id)
            found = self._sorting[campus_id] = hub.transfer if hub else 0
        return found

    def transfers(self) -> dict[int, int]:
        return {s.id: s.transfer for s in self.stops.values()}

    def trips_on(self, day: dt.date, calendar: WorkCalendar) -> list[TripPattern]:
        workday = calendar.is_workday(day)
        season = self.season(day)
        return [t for t in self.trips if runs(t.days, workday) and t.season in (Season.ALL, season)]

    def day(self, day: dt.date, calendar: WorkCalendar) -> Day:
        """The day's connections on the dense numbering (trips: their index in ``trips``),
        built on first use and kept with the snapshot."""
        key = (day, calendar.is_workday(day))
        found = self._days.get(key)
        if found is None:
            running = {id(t) for t in self.trips_on(day, calendar)}
            index = self.index
            rows = [
                (dep, arr, index[a], index[b], number)
                for number, trip in enumerate(self.trips)
                if id(trip) in running
                for (a, _, dep), (b, arr, _) in pairwise(trip.calls)
            ]
            found = self._days[key] = Day(rows, len(self.trips))
        return found

    def profile_key(self, campus_id: int, first: dt.date, calendar: WorkCalendar) -> ProfileKey:
        """The key of the profile to ``campus_id`` over :data:`PROFILE_DAYS` days from ``first``."""
        return campus_id, first, tuple(map(calendar.is_workday, _profile_days(first)))

    def profile(self, key: ProfileKey, calendar: WorkCalendar) -> Profile | None:
        """Earliest arrivals at the key's campus from everywhere over its days (None while
        there is none): once asked for :data:`PROFILE_AFTER` times, it is built on the
        process's profile thread and given from the first question after that."""
        found = self._profiles.get(key)
        if found is not None:
            return found
        building = self._building.get(key)
        # A process forked while a profile was being built has not got the thread building it.
        if building is None or building[0] != os.getpid():
            self._asked[key] += 1
            if self._asked[key] >= PROFILE_AFTER:
                self._building[key] = (os.getpid(), _builder().submit(self._build, key, calendar))
            return None
        if not building[1].done():
            return None
        found = building[1].result()
        # Threads of one process may take the same profile in at once: pop, never del.
        if len(self._profiles) >= PROFILES_KEPT:
            oldest = next(iter(self._profiles))
            self._profiles.pop(oldest, None)
            self.answers.pop(oldest, None)
        self.answers.setdefault(key, {})
        self._profiles[key] = found
        self._building.pop(key, None)
        return found

    def wait_for_profiles(self) -> None:
        """Wait until every profile being built is built (for benchmarks and tests, which
        need to know what answers a question)."""
        for _, building in list(self._building.values()):
            building.result()

    def _build(self, key: ProfileKey, calendar: WorkCalendar) -> Profile:
        campus_id, first, _ = key
        return Profile(
            len(self.stop_ids),
            [self.index[s.id] for s in self.stops_of(campus_id)],
            self.transfer_list,
            [
                (self.day(first + dt.timedelta(days=n), calendar), n * DAY)
                for n in range(PROFILE_DAYS)
            ],
            self.stop_group,
        )


@lru_cache(maxsize=64)
def _profile_days(first: dt.date) -> tuple[dt.date, ...]:
    return tuple(first + dt.timedelta(days=n) for n in range(PROFILE_DAYS))


_profile_thread: tuple[int, ThreadPoolExecutor] | None = None


def _builder() -> ThreadPoolExecutor:
    """The process's one thread that builds profiles, so that no request waits for one: a
    build scans its days' connections backwards, a fifth of a second of CPU and seconds on a
    busy machine."""
    global _profile_thread
    if _profile_thread is None or _profile_thread[0] != os.getpid():
        _profile_thread = (
            os.getpid(),
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="route-profiles"),
        )
    return _profile_thread[1]


class SnapshotCache:
    """A process's timetable snapshot, with the work calendars planned on, and the revision
    tokens of the timetable and of the special days it was loaded under.

    Every new session reads both tokens (one query of two one-row tables) and reuses the
    snapshot while they match; a change in any process (:func:`changed`,
    :func:`core.workdays.calendar_changed`) gives a new token, so the next session anywhere
    loads the timetable again (or only its calendars). ``loads`` counts the timetable loads.
    """

    def __init__(self) -> None:
        self._tokens: tuple[str | None, str | None] = (None, None)
        self._snapshot: Timetable | None = None
        self.loads = 0

    def current(self, session: Session) -> Timetable:
        """The snapshot for ``session``: the shared one when its tokens are current, else a
        fresh load (kept for the next session when the timetable's token exists)."""
        tokens = revisions(session)
        snapshot = self._snapshot
        if tokens[0] is not None and snapshot is not None and tokens[0] == self._tokens[0]:
            if tokens[1] is None or tokens[1] != self._tokens[1]:
                snapshot = replace(snapshot, calendars={})
        else:
            self.loads += 1
            snapshot = Timetable.load(session)
            if tokens[0] is None:
                return snapshot
        if tokens[1] is None:
            # Without a calendar token the calendars cannot be trusted past this session.
            return replace(snapshot, calendars={})
        self._tokens, self._snapshot = tokens, snapshot
        return snapshot


#: The process's cache, used by every session unless given another.
snapshots = SnapshotCache()


#: Both revision tokens in one row, as plain SQL: every session that plans reads them, and even
#: a prebuilt statement costs SQLAlchemy a cache-key walk several times the query's own time.
_REVISIONS = (
    f"SELECT t.token, c.token FROM {TimetableRevision.__tablename__} t"
    f" LEFT JOIN {CalendarRevision.__tablename__} c ON c.id = 1 WHERE t.id = 1"
)


def revisions(session: Session) -> tuple[str | None, str | None]:
    """The current revision tokens of the timetable and of the special days."""
    row = session.connection().exec_driver_sql(_REVISIONS).first()
    if row is None:
        return None, None
    return row[0], row[1]


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

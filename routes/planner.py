"""Earliest-arrival routes between campuses over the service days' timetables.

Times become minutes after the local midnight of the first day searched; the connections of
each service day are scanned in turn (working days and days off from the Chinese work calendar,
term or vacation timetable by date) until the target is reached or the horizon runs out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from core.clock import SHANGHAI
from core.workdays import WorkCalendar
from routes.csa import INFINITY, Ride, Scan
from routes.network import DAY, PROFILE_DAYS, Timetable, local_midnight, runs

#: How far ahead a route counts as "reachable" at submission.
HORIZON_DAYS = 7
#: How far ahead the earliest possible date is looked for when the horizon finds nothing.
LONG_HORIZON_DAYS = 60


@dataclass(frozen=True)
class PlannedRide:
    trip_id: int
    service_date: dt.date
    board_stop: int
    alight_stop: int
    departs_at: dt.datetime
    arrives_at: dt.datetime


@dataclass(frozen=True)
class Route:
    """The rides to the target campus, the arrival there and the time sorting is done."""

    rides: list[PlannedRide]
    arrives_at: dt.datetime
    ready_at: dt.datetime


class Planner:
    """Plans over one session's timetable snapshot and work calendar."""

    def __init__(self, session: Session, timetable: Timetable | None = None) -> None:
        self.session = session
        self.timetable = timetable or Timetable.of(session)

    def calendar(self, first: dt.date, days: int) -> WorkCalendar:
        """The work calendar from ``first`` for ``days`` days, kept with the process's
        timetable snapshot while the special days are unchanged."""
        key = (first, days)
        calendars = self.timetable.calendars
        if key not in calendars:
            calendars[key] = WorkCalendar.load(
                self.session, first, first + dt.timedelta(days=days + 1)
            )
        return calendars[key]

    def route(
        self,
        sources: dict[int, dt.datetime],
        campus_id: int,
        horizon_days: int = HORIZON_DAYS,
    ) -> Route | None:
        """The earliest route from ``sources`` (stop → ready time) to any stop of ``campus_id``,
        plus the sorting time at that campus's hub; None if nothing gets there in time."""
        tt = self.timetable
        if not sources or not tt.stops_of(campus_id):
            return None
        earliest = min(sources.values())
        first_day = earliest.astimezone(SHANGHAI).date()
        # Shanghai keeps one UTC offset all year: minutes after local midnight are minutes
        # after this UTC instant, and no time needs converting between zones.
        base = local_midnight(first_day).astimezone(dt.UTC)
        # Sources mostly share one ready time: convert each distinct time once (comparing
        # times is cheaper than hashing them).
        if max(sources.values()) == earliest:
            minutes = {earliest: _minutes(earliest, base)}
        else:
            minutes = {at: _minutes(at, base) for at in set(sources.values())}
        calendar = self.calendar(first_day, horizon_days)
        best, journey = INFINITY, []
        if horizon_days >= PROFILE_DAYS:
            key = tt.profile_key(campus_id, first_day, calendar)
            profile = tt.profile(key, calendar)
            if profile is not None:
                # The usual question: from every stop of a campus, ready at once.
                first = next(iter(sources))
                group, stops = tt.groups[tt.stops[first].campus_id]
                if len(minutes) == 1 and sources.keys() == stops:
                    ready = minutes[sources[first]]
                    # Every ready time that leaves by one entry of the profile gets its route.
                    answers = tt.answers.setdefault(key, {})
                    entry = (group, profile.group_entry_at(group, ready))
                    known = answers.get(entry)
                    if known is None:
                        best, journey = profile.plan_group(group, ready)
                        if best <= PROFILE_DAYS * DAY and not profile.group_target[group]:
                            known = answers[entry] = self._route(
                                base, first_day, best, journey, campus_id
                            )
                    if known is not None:
                        return Route(list(known.rides), known.arrives_at, known.ready_at)
                else:
                    best, journey = profile.plan(self._dense(sources, minutes))
        # Nothing of the days after the profile's arrives before they begin.
        if best > PROFILE_DAYS * DAY:
            targets = [tt.index[s.id] for s in tt.stops_of(campus_id)]
            scan = Scan(len(tt.stop_ids), self._dense(sources, minutes), targets, tt.transfer_list)
            for number in range(horizon_days):
                if scan.best <= number * DAY:
                    break
                day = first_day + dt.timedelta(days=number)
                if scan.feed(tt.day(day, calendar), number * DAY):
                    break
            if scan.best >= INFINITY:
                return None
            best, journey = scan.best, scan.journey()
        return self._route(base, first_day, best, journey, campus_id)

    def _route(
        self, base: dt.datetime, first_day: dt.date, best: int, journey: list[Ride], campus_id: int
    ) -> Route:
        tt = self.timetable
        rides = [
            PlannedRide(
                trip_id=tt.trips[ride.trip].id,
                service_date=first_day + dt.timedelta(days=ride.day),
                board_stop=tt.stop_ids[ride.board.dep_stop],
                alight_stop=tt.stop_ids[ride.alight.arr_stop],
                departs_at=base + dt.timedelta(minutes=ride.board.dep),
                arrives_at=base + dt.timedelta(minutes=ride.alight.arr),
            )
            for ride in journey
        ]
        arrives = base + dt.timedelta(minutes=best)
        return Route(rides, arrives, arrives + dt.timedelta(minutes=tt.sorting_minutes(campus_id)))

    def _dense(
        self, sources: dict[int, dt.datetime], minutes: dict[dt.datetime, int]
    ) -> dict[int, int]:
        index = self.timetable.index
        return {index[stop]: minutes[at] for stop, at in sources.items()}

    def emptied(
        self, at: dt.datetime, campus_id: int, location_id: int | None, horizon_days: int
    ) -> tuple[dict[int, dt.datetime], tuple[int, dt.datetime] | None]:
        """Where an envelope put into a drop box at ``at`` is ready, and which round takes it.

        Each stop gets the earliest round that empties a drop box on the campus (the one it was
        put into, when known) at or after ``at``. A campus without rounds sends it from its
        stops at once.
        """
        tt = self.timetable
        rounds = [
            r
            for r in tt.rounds
            if r.campus_id == campus_id and location_id in (None, r.location_id)
        ]
        if not rounds and location_id is not None:
            return self.emptied(at, campus_id, None, horizon_days)
        if not rounds:
            return {s.id: at for s in tt.stops_of(campus_id)}, None
        local = at.astimezone(SHANGHAI)
        calendar = self.calendar(local.date(), horizon_days)
        ready: dict[int, dt.datetime] = {}
        first: tuple[int, dt.datetime] | None = None
        for index in range(horizon_days):
            day = local.date() + dt.timedelta(days=index)
            workday = calendar.is_workday(day)
            for r in rounds:
                when = local_midnight(day) + dt.timedelta(minutes=r.minute)
                if not runs(r.days, workday) or when < local or r.stop_id in ready:
                    continue
                ready[r.stop_id] = (when + dt.timedelta(minutes=r.carry)).astimezone(dt.UTC)
                if first is None or when < first[1]:
                    first = (r.location_id, when.astimezone(dt.UTC))
            if ready:
                break
        return ready, first


def _minutes(at: dt.datetime, base: dt.datetime) -> int:
    # Rounded up: an envelope ready at 10:29:30 is not ready for a 10:29 departure.
    seconds = (at - base).total_seconds()
    return int(-(-seconds // 60))

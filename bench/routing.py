"""Route planning against a time-dependent Dijkstra, timetable load included; and the time to
build the manifests of 5,000 consignments.

The rival is the standard good baseline: Dijkstra's algorithm on the stops, every edge a sorted
departure list (one per stop and later stop of the same trip, so staying aboard needs no sorting
time) with the earliest arrival from each departure on precomputed, relaxed with a bisection;
changing vehicles at a stop waits its transfer (sorting) time. It is kept warm as ours is: per
service day, built on first use, reused while the timetable's revision token is unchanged.

Two networks, both stored in a scratch database as the product stores timetables: the demo's
(``web.demo``) and a synthetic one of 10 campuses, 200 stops and 5,000 trips on a working day
(loop lines on each campus, shuttles between campuses' hubs). For each, ABAB interleaved in the
same run:

- **cold**: a new process's first plan: load the timetable from the database, then plan (ours:
  a fresh snapshot cache; the rival: the same loader, then its graph);
- **first**: the first plan in a request's session, as services make it when a scan is
  recorded or a consignment is created: ``Planner(session).route(...)`` with the revision check
  (one query); the rival checks the same tokens in the same session;
- **warm**: plans in sessions of :data:`BATCH`, as a scan batch re-plans its consignments.

Opening and closing the session is the request's, outside the timing. The first plans to a
campus on a day scan; the :data:`routes.network.PROFILE_AFTER`-th sets that campus's profile
building on the process's profile thread, and the plans after it answer from the profile (the
warm-up's plans are ``warm_up_s``; waiting for the builds after them, ``profiles_wait_s``).

Every query is from all stops of a campus, ready at a random time, to another campus; every
arrival must agree (asserted). ``--profile`` prints where ours spends its warm time.

Run: ``python -m bench.routing`` (``--quick``: fewer queries); the last line is JSON.
``COURIER_BENCH_DATABASE_URL`` points it at an empty PostgreSQL database instead of SQLite.
"""

from __future__ import annotations

import cProfile
import datetime as dt
import heapq
import io
import pstats
import random
import statistics
import sys
import time
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from bench.harness import emit, scratch_database
from catalog.models import Campus, Location, LocationKind
from core import clock, codes
from core.db import make_engine, make_session_factory, unit_of_work
from core.workdays import WorkCalendar
from courier.models import Consignment
from courier.states import Leg, State
from routes.manifests import build_due
from routes.models import DayType, LegStatus, Line, PlanLeg, RoutePlan, Season, Stop, StopTime, Trip
from routes.network import (
    DAY,
    PROFILE_AFTER,
    SnapshotCache,
    Timetable,
    changed,
    local_midnight,
    revisions,
)
from routes.planner import HORIZON_DAYS, Planner
from services.bootstrap import build_bus

CAMPUSES = 10
STOPS_PER_CAMPUS = 20
TRIPS_PER_DAY = 5000
LABEL_KEY = "bench-label-key"
MANIFEST_CONSIGNMENTS = 5000
#: A Tuesday in term time; queries start on it and the two days after.
FIRST_DAY = dt.date(2026, 11, 17)
INFINITY = 1 << 60

#: Per stop: (later stop, departures sorted, earliest arrival from each departure on).
Graph = dict[int, list[tuple[int, list[int], list[int]]]]


def graph_of(trips: Iterable[Sequence[tuple[int, int, int]]]) -> Graph:
    """The time-dependent graph of one day's trips, each a sequence of ``(stop, arrive,
    depart)`` calls: an edge from every call to every later call of the same trip."""
    hops: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    for calls in trips:
        for i, (a, _, dep) in enumerate(calls):
            for b, arr, _ in calls[i + 1 :]:
                if b != a:
                    hops[a, b].append((dep, arr))
    graph: Graph = defaultdict(list)
    for (a, b), times in hops.items():
        times.sort()
        earliest = [arr for _, arr in times]
        for i in range(len(earliest) - 2, -1, -1):
            earliest[i] = min(earliest[i], earliest[i + 1])
        graph[a].append((b, [dep for dep, _ in times], earliest))
    return dict(graph)


def dijkstra(
    days: Sequence[Graph],
    sources: Mapping[int, int],
    targets: set[int] | frozenset[int],
    transfer: Sequence[int] | Mapping[int, int],
) -> int | None:
    """Earliest arrival at any of ``targets`` from ``sources`` (stop → ready minute) over
    consecutive days (day ``k``'s times are ``k * DAY`` on), or None."""
    best = INFINITY
    ready: dict[int, int] = {}
    heap = []
    for stop, at in sources.items():
        ready[stop] = at
        heap.append((at, stop))
        if stop in targets and at < best:
            best = at
    heapq.heapify(heap)
    done = set()
    pop, push = heapq.heappop, heapq.heappush
    while heap:
        at, stop = pop(heap)
        if at >= best:
            break
        if stop in done:
            continue
        done.add(stop)
        # A trip past midnight belongs to the day before: start one day early.
        for k in range(max(0, at // DAY - 1), len(days)):
            offset = k * DAY
            if offset >= best:
                break
            local = at - offset
            for onward, departures, earliest in days[k].get(stop, ()):
                i = bisect_left(departures, local)
                if i == len(departures):
                    continue
                arrival = earliest[i] + offset
                if arrival >= best:
                    continue
                if onward in targets:
                    best = arrival
                    continue
                after = arrival + transfer[onward]
                if after < ready.get(onward, INFINITY):
                    ready[onward] = after
                    push(heap, (after, onward))
    return None if best >= INFINITY else best


class TimeDependent:
    """The rival planner: a timetable snapshot, its day graphs and work calendars, searched
    with Dijkstra."""

    def __init__(self, timetable: Timetable) -> None:
        self.timetable = timetable
        self.graphs: dict[tuple[dt.date, bool], Graph] = {}
        self.calendars: dict[dt.date, WorkCalendar] = {}
        self.transfer = {s.id: s.transfer for s in timetable.stops.values()}
        self.targets: dict[int, frozenset[int]] = {}

    def graph(self, day: dt.date, calendar: WorkCalendar) -> Graph:
        key = (day, calendar.is_workday(day))
        graph = self.graphs.get(key)
        if graph is None:
            graph = self.graphs[key] = graph_of(
                t.calls for t in self.timetable.trips_on(day, calendar)
            )
        return graph

    def arrival(
        self, session: Session, sources: dict[int, dt.datetime], campus_id: int
    ) -> dt.datetime | None:
        """Earliest arrival at a stop of ``campus_id`` within the planner's horizon."""
        first_day = min(sources.values()).astimezone(clock.SHANGHAI).date()
        base = local_midnight(first_day)
        calendar = self.calendars.get(first_day)
        if calendar is None:
            calendar = self.calendars[first_day] = WorkCalendar.load(
                session, first_day, first_day + dt.timedelta(days=HORIZON_DAYS + 1)
            )
        targets = self.targets.get(campus_id)
        if targets is None:
            targets = self.targets[campus_id] = frozenset(
                s.id for s in self.timetable.stops_of(campus_id)
            )
        days = [self.graph(first_day + dt.timedelta(days=k), calendar) for k in range(HORIZON_DAYS)]
        minutes = {at: -int(-(at - base).total_seconds() // 60) for at in set(sources.values())}
        found = dijkstra(
            days, {stop: minutes[at] for stop, at in sources.items()}, targets, self.transfer
        )
        return None if found is None else (base + dt.timedelta(minutes=found)).astimezone(dt.UTC)


class WarmRival:
    """The rival kept warm like ours: its graphs and calendars are reused while the revision
    tokens of the timetable and the special days are unchanged (one query per session)."""

    def __init__(self) -> None:
        self.tokens: tuple[str | None, str | None] = (None, None)
        self.planner: TimeDependent | None = None

    def arrival(
        self, session: Session, sources: dict[int, dt.datetime], campus_id: int
    ) -> dt.datetime | None:
        """As :meth:`TimeDependent.arrival`, checking the tokens once per session."""
        planner = session.info.get("bench.rival")
        if planner is None:
            planner = session.info["bench.rival"] = self.current(session)
        return planner.arrival(session, sources, campus_id)

    def current(self, session: Session) -> TimeDependent:
        tokens = revisions(session)
        if self.planner is None or tokens[0] != self.tokens[0]:
            self.planner = TimeDependent(Timetable.load(session))
        elif tokens[1] != self.tokens[1]:
            self.planner.calendars = {}
        self.tokens = tokens
        return self.planner


def synthetic_network(session: Session, rng: random.Random) -> None:
    """10 campuses of 20 stops (a hub each); loop lines on each campus every 10 minutes and
    shuttles between neighbouring and further campuses every 20, 06:00 to 22:00, topped up
    with express runs between hubs to :data:`TRIPS_PER_DAY` trips on a working day."""
    campuses = []
    for c in range(CAMPUSES):
        campus = Campus(code=f"SY{c}", name=f"合成校区{c}", name_en=f"Synthetic {c}")
        session.add(campus)
        campuses.append(campus)
    session.flush()
    stops: list[list[Stop]] = []
    for c, campus in enumerate(campuses):
        row = []
        for s in range(STOPS_PER_CAMPUS):
            location = Location(
                code=f"SY{c}-{'HUB' if s == 0 else f'S{s:02d}'}",
                name=f"合成校区{c}站点{s}",
                campus_id=campus.id,
                kind=LocationKind.SHUTTLE_STOP,
            )
            stop = Stop(location=location, is_hub=s == 0, transfer_minutes=15 if s == 0 else 5)
            session.add(stop)
            row.append(stop)
        stops.append(row)
    session.flush()
    patterns: list[tuple[str, list[tuple[int, int]], int]] = []  # (line, [(stop, ride)], headway)
    for c in range(CAMPUSES):
        others = list(range(1, STOPS_PER_CAMPUS))
        for n in range(3):
            calls = [(stops[c][0].id, 0)]
            calls += [(stops[c][s].id, rng.randrange(2, 5)) for s in others[n * 6 : n * 6 + 7]]
            calls.append((stops[c][0].id, rng.randrange(2, 5)))
            patterns.append((f"SY{c}-L{n}", calls, 10))
    for c in range(CAMPUSES):
        for d in ((c + 1) % CAMPUSES, (c + 3) % CAMPUSES):
            far = rng.randrange(25, 60)
            for a, b in ((c, d), (d, c)):
                calls = [(stops[a][0].id, 0), (stops[a][1].id, 5)]
                calls += [(stops[b][1].id, far), (stops[b][0].id, 5)]
                patterns.append((f"SY{a}-SY{b}", calls, 20))
    lines = {code: n + 1 for n, code in enumerate(sorted({p[0] for p in patterns}))}
    lines["EXPRESS"] = len(lines) + 1
    session.execute(insert(Line), [{"id": i, "code": c, "name": c} for c, i in lines.items()])
    trips: list[dict[str, Any]] = []
    times: list[dict[str, Any]] = []

    def add_trip(line: str, calls: list[tuple[int, int]], leaves: int) -> None:
        trip_id = len(trips) + 1
        trips.append(
            {
                "id": trip_id,
                "code": f"SYN{trip_id:05d}",
                "line_id": lines[line],
                "days": DayType.WORKDAY,
                "season": Season.ALL,
            }
        )
        at = leaves
        for seq, (stop, ride) in enumerate(calls):
            # Traffic: each run takes a minute more or less than the timetable's pattern.
            at += ride + (rng.choice((-1, 0, 1)) if ride > 1 else 0)
            times.append(
                {"trip_id": trip_id, "seq": seq, "stop_id": stop,
                 "arrive_minute": at, "depart_minute": at + (1 if 0 < seq < len(calls) - 1 else 0)}
            )  # fmt: skip
            at = times[-1]["depart_minute"]

    for line, calls, headway in patterns:
        for leaves in range(6 * 60 + rng.randrange(headway), 22 * 60, headway):
            add_trip(line, calls, leaves)
    while len(trips) < TRIPS_PER_DAY:
        a, b = rng.sample(range(CAMPUSES), 2)
        ride = rng.randrange(30, 80)
        add_trip("EXPRESS", [(stops[a][0].id, 0), (stops[b][0].id, ride)], rng.randrange(360, 1320))
    session.execute(insert(Trip), trips)
    session.execute(insert(StopTime), times)
    changed(session)


def queries(
    session: Session, rng: random.Random, count: int
) -> list[tuple[dict[int, dt.datetime], int]]:
    """``count`` random plans: all stops of one campus ready at one time, to another campus."""
    tt = Timetable.load(session)
    campuses = sorted({s.campus_id for s in tt.stops.values()})
    found = []
    while len(found) < count:
        a, b = rng.sample(campuses, 2)
        day = FIRST_DAY + dt.timedelta(days=rng.randrange(3))
        minute = rng.randrange(6 * 60, 23 * 60)
        at = local_midnight(day) + dt.timedelta(minutes=minute, seconds=rng.randrange(60))
        ready = at.astimezone(dt.UTC)
        found.append(({s.id: ready for s in tt.stops_of(a)}, b))
    return found


#: Plans per session in the warm figures: a scan batch re-plans its consignments in one
#: transaction (the first plan of a session is reported on its own too).
BATCH = 10

Side = Callable[[list[int]], tuple[float, list[Any]]]


def interleaved(
    ours: Side, rival: Side, batches: list[list[int]]
) -> tuple[list[float], list[float]]:
    """Run each batch of queries on both sides, alternating which goes first; seconds per
    batch each, after asserting that both give the same answers."""
    ours_s: list[float] = []
    rival_s: list[float] = []
    for n, batch in enumerate(batches):
        order = ((ours, ours_s), (rival, rival_s))
        answers = []
        for side, samples in order if n % 2 == 0 else order[::-1]:
            seconds, found = side(batch)
            samples.append(seconds)
            answers.append(found)
        assert answers[0] == answers[1], f"batch {batch}: {answers[0]} != {answers[1]}"
    return ours_s, rival_s


def network_figures(engine: Engine, quick: bool, profile: bool, name: str) -> dict[str, Any]:
    """Cold and warm plans on the network in ``engine``'s database, ours against the rival."""
    factory = make_session_factory(engine, build_bus())
    rng = random.Random(18)
    with factory() as session:
        tt = Timetable.load(session)
        asked = queries(session, rng, 200 if quick else 2000)

    def side(plan: Callable[[Session, int], dt.datetime | None]) -> Side:
        # The session is the request's: opening and closing it is not the planner's time.
        def run(batch: list[int]) -> tuple[float, list[Any]]:
            with factory() as session:
                started = time.perf_counter()
                found = [plan(session, i) for i in batch]
                return time.perf_counter() - started, found

        return run

    def our_plan(cache: Callable[[], SnapshotCache]) -> Side:
        def plan(session: Session, i: int) -> dt.datetime | None:
            sources, campus = asked[i]
            route = Planner(session, Timetable.of(session, cache())).route(sources, campus)
            return route.arrives_at if route else None

        return side(plan)

    def rival_plan(rival: Callable[[], WarmRival]) -> Side:
        def plan(session: Session, i: int) -> dt.datetime | None:
            sources, campus = asked[i]
            return rival().arrival(session, sources, campus)

        return side(plan)

    cache, warm_rival = SnapshotCache(), WarmRival()
    ours, rival = our_plan(lambda: cache), rival_plan(lambda: warm_rival)
    cold_ours, cold_rival = interleaved(
        our_plan(SnapshotCache), rival_plan(WarmRival), [[i] for i in range(4 if quick else 20)]
    )
    # Warm-up, as a running process has long since done: both sides build their day structures
    # (ours also the profile of each target campus and start day, once planned for repeatedly).
    seen: dict[tuple[int, dt.date], list[int]] = defaultdict(list)
    for i, (sources, campus) in enumerate(asked):
        seen[campus, min(sources.values()).astimezone(clock.SHANGHAI).date()].append(i)
    warm_up = sorted(i for found in seen.values() for i in found[:PROFILE_AFTER])
    warm_up_s = ours(warm_up)[0]
    with factory() as session:
        started = time.perf_counter()
        Timetable.of(session, cache).wait_for_profiles()
        profiles_s = time.perf_counter() - started
    warm_up_rival_s = rival(warm_up)[0]
    everything = list(range(len(asked)))
    first_ours, first_rival = interleaved(ours, rival, [[i] for i in everything])
    batches = [everything[n : n + BATCH] for n in range(0, len(everything), BATCH)]
    warm_ours, warm_rival_s = interleaved(ours, rival, batches)
    answers = ours(everything)[1]
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for batch in batches:
            ours(batch)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(12)
        print(f"--- {name}: where ours spends warm plans ---", file=sys.stderr)
        print(out.getvalue(), file=sys.stderr)

    def ms(samples: list[float], per: int = 1) -> float:
        return round(statistics.median(samples) * 1000 / per, 3)

    return {
        "stops": len(tt.stops),
        "trips": len(tt.trips),
        "connections": sum(len(t.calls) - 1 for t in tt.trips),
        "queries": len(asked),
        "unreachable": answers.count(None),
        "cold_ms": ms(cold_ours),
        "cold_rival_ms": ms(cold_rival),
        "cold_ratio": round(statistics.median(cold_rival) / statistics.median(cold_ours), 2),
        "first_ms": ms(first_ours),
        "first_rival_ms": ms(first_rival),
        "first_ratio": round(sum(first_rival) / sum(first_ours), 2),
        "warm_qps": round(len(asked) / sum(warm_ours), 1),
        "warm_rival_qps": round(len(asked) / sum(warm_rival_s), 1),
        "warm_ms": ms(warm_ours, BATCH),
        "warm_rival_ms": ms(warm_rival_s, BATCH),
        "warm_ratio": round(sum(warm_rival_s) / sum(warm_ours), 2),
        "warm_up_plans": len(warm_up),
        "warm_up_s": round(warm_up_s, 2),
        "profiles_wait_s": round(profiles_s, 2),
        "warm_up_rival_s": round(warm_up_rival_s, 2),
    }


def route_queries(quick: bool, profile: bool) -> dict[str, Any]:
    """Both networks, each in a scratch database of its own."""
    from web.demo import seed_demo

    figures = {}
    for name in ("demo", "synthetic"):
        with scratch_database() as url:
            engine = make_engine(url)
            with unit_of_work(make_session_factory(engine, build_bus())) as session:
                if name == "demo":
                    seed_demo(session, LABEL_KEY)
                else:
                    synthetic_network(session, random.Random(2026))
            print(f"route queries on the {name} network ...", file=sys.stderr)
            figures[name] = network_figures(engine, quick, profile, name)
            engine.dispose()
    return figures


def manifest_build(rounds: int) -> dict[str, Any]:
    """Build the manifests of the demo network's 10:00 departures on a Tuesday with
    :data:`MANIFEST_CONSIGNMENTS` consignments planned on them."""
    from web.demo import seed_demo

    day = dt.date(2026, 11, 17)
    at = dt.datetime(2026, 11, 17, 9, 30, tzinfo=clock.SHANGHAI)
    with scratch_database() as url:
        engine = make_engine(url)
        with unit_of_work(make_session_factory(engine, build_bus())) as session:
            seed_demo(session, LABEL_KEY)
            template = session.scalar(select(Consignment).limit(1))
            trips = [
                t
                for t in session.scalars(select(Trip))
                if t.days == "workday" and t.stop_times[0].depart_minute == 600
            ]
            stops = {s.id: s for s in session.scalars(select(Stop))}
            first_id = session.scalar(select(Consignment.id).order_by(Consignment.id.desc())) + 1
            first_plan = (
                session.scalar(select(RoutePlan.id).order_by(RoutePlan.id.desc())) or 0
            ) + 1
            columns = {
                c.key: getattr(template, c.key)
                for c in Consignment.__table__.columns
                if c.key not in ("id", "tracking_code")
            }
            consignments, plans, legs = [], [], []
            for n in range(MANIFEST_CONSIGNMENTS):
                trip = trips[n % len(trips)]
                board, alight = trip.stop_times[0], trip.stop_times[-1]
                campus = stops[board.stop_id].location.campus_id
                departs = at.replace(hour=10, minute=0).astimezone(dt.UTC)
                consignments.append(
                    {
                        **columns,
                        "id": first_id + n,
                        "tracking_code": codes.new_code(LABEL_KEY),
                        "origin_campus_id": campus,
                        "current_campus_id": campus,
                        "state": State.COLLECTED,
                        "leg": Leg.OUTBOUND,
                    }
                )
                plans.append(
                    {
                        "id": first_plan + n,
                        "consignment_id": first_id + n,
                        "eta": departs + dt.timedelta(hours=1),
                        "eta_kind": "department",
                        "note": "",
                        "note_params": {},
                        "updated_at": at,
                    }
                )
                legs.append(
                    {
                        "plan_id": first_plan + n,
                        "seq": 0,
                        "leg": Leg.OUTBOUND,
                        "trip_id": trip.id,
                        "service_date": day,
                        "board_stop_id": board.stop_id,
                        "alight_stop_id": alight.stop_id,
                        "departs_at": departs,
                        "arrives_at": departs + dt.timedelta(minutes=alight.arrive_minute - 600),
                        "status": LegStatus.PLANNED,
                    }
                )
            session.execute(insert(Consignment), consignments)
            session.execute(insert(RoutePlan), plans)
            session.execute(insert(PlanLeg), legs)
        samples = []
        factory = make_session_factory(engine, build_bus())
        for _ in range(rounds):
            with factory() as session, clock.frozen(at.astimezone(dt.UTC)):
                started = time.perf_counter()
                built = build_due(session)
                samples.append((time.perf_counter() - started) * 1000)
                items = sum(len(m.items) for m in built)
                session.rollback()
        engine.dispose()
    return {
        "consignments": MANIFEST_CONSIGNMENTS,
        "departures": len(built),
        "items": items,
        "build_ms_median": round(statistics.median(samples), 1),
        "build_ms_max": round(max(samples), 1),
    }


def main() -> None:
    quick = "--quick" in sys.argv
    routing = route_queries(quick, "--profile" in sys.argv)
    print("manifests ...", file=sys.stderr)
    manifests = manifest_build(3 if quick else 5)
    emit({"benchmark": "routing", "routing": routing, "manifests": manifests})


if __name__ == "__main__":
    main()

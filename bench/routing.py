"""Route queries per second: the Connection Scan Algorithm against Dijkstra on the
time-expanded graph, on a generated network of 10 campuses and 2,000 trips a day; and the time
to build the manifests of 5,000 consignments.

Both planners answer the same random earliest-arrival queries (with sorting times at the hubs)
over two service days of connections; every answer must agree (asserted). The time-expanded
graph (departure, arrival and transfer nodes; waiting, riding, staying-aboard and transfer
edges) is built once, outside the timing, as a graph planner would keep it.

Run: ``python -m bench.routing`` (``--quick``: fewer queries); the last line is JSON.
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import random
import statistics
import sys
import time
from collections import defaultdict
from itertools import pairwise
from typing import Any

from sqlalchemy import insert, select

from bench.harness import emit, scratch_database
from core import clock, codes
from core.db import make_engine, make_session_factory, unit_of_work
from courier.models import Consignment
from courier.states import Leg, State
from routes.csa import Connection, earliest_arrival
from routes.manifests import build_due
from routes.models import LegStatus, PlanLeg, RoutePlan, Stop, Trip
from services.bootstrap import build_bus

CAMPUSES = 10
TRIPS_PER_DAY = 2000
DAYS = 2
DAY = 1440
LABEL_KEY = "bench-label-key"
MANIFEST_CONSIGNMENTS = 5000


def generate(rng: random.Random) -> tuple[list[Connection], dict[int, int]]:
    """Two days of a random network: trips of two or three calls between 06:00 and 22:00."""
    transfer = {stop: rng.choice((10, 15, 20)) for stop in range(CAMPUSES)}
    connections = []
    trip = 0
    for day in range(DAYS):
        for _ in range(TRIPS_PER_DAY):
            trip += 1
            calls = rng.sample(range(CAMPUSES), rng.choice((2, 2, 3)))
            at = day * DAY + rng.randrange(6 * 60, 22 * 60)
            for a, b in pairwise(calls):
                ride = rng.randrange(20, 90)
                connections.append(Connection(a, b, at, at + ride, trip))
                at += ride + rng.choice((0, 2, 5))
    connections.sort(key=lambda c: (c.dep, c.arr))
    return connections, transfer


class TimeExpanded:
    """The time-expanded graph of the connections, searched with Dijkstra's algorithm."""

    def __init__(self, connections: list[Connection], transfer: dict[int, int]) -> None:
        n = len(connections)
        # Nodes: 3i departure, 3i+1 arrival, 3i+2 the transfer node of departure i.
        self.time = [0] * (3 * n)
        self.stop = [0] * (3 * n)
        self.edges: list[list[int]] = [[] for _ in range(3 * n)]
        by_stop: dict[int, list[tuple[int, int]]] = defaultdict(list)
        next_of_trip: dict[int, int] = {}
        for i in range(n - 1, -1, -1):
            c = connections[i]
            self.time[3 * i], self.time[3 * i + 1], self.time[3 * i + 2] = c.dep, c.arr, c.dep
            self.stop[3 * i], self.stop[3 * i + 1], self.stop[3 * i + 2] = (
                c.dep_stop,
                c.arr_stop,
                c.dep_stop,
            )
            self.edges[3 * i].append(3 * i + 1)  # ride
            self.edges[3 * i + 2].append(3 * i)  # board
            following = next_of_trip.get(c.trip)
            if following is not None and connections[following].dep_stop == c.arr_stop:
                self.edges[3 * i + 1].append(3 * following)  # stay aboard
            next_of_trip[c.trip] = i
        for i, c in enumerate(connections):
            by_stop[c.dep_stop].append((c.dep, 3 * i + 2))
        self.waits: dict[int, tuple[list[int], list[int]]] = {}
        for stop, events in by_stop.items():
            events.sort()
            times, nodes = [t for t, _ in events], [node for _, node in events]
            self.waits[stop] = (times, nodes)
            for a, b in pairwise(nodes):
                self.edges[a].append(b)  # wait
        for i, c in enumerate(connections):
            node = self.first_transfer(c.arr_stop, c.arr + transfer.get(c.arr_stop, 0))
            if node is not None:
                self.edges[3 * i + 1].append(node)  # change vehicles after sorting

    def first_transfer(self, stop: int, at: int) -> int | None:
        times, nodes = self.waits.get(stop, ([], []))
        index = bisect.bisect_left(times, at)
        return nodes[index] if index < len(nodes) else None

    def earliest_arrival(self, source: int, at: int, target: int) -> int | None:
        start = self.first_transfer(source, at)
        if source == target:
            return at
        if start is None:
            return None
        time, stop, edges = self.time, self.stop, self.edges
        seen = set()
        heap = [(time[start], start)]
        while heap:
            when, node = heapq.heappop(heap)
            if node in seen:
                continue
            seen.add(node)
            if node % 3 == 1 and stop[node] == target:
                return when
            for nxt in edges[node]:
                if nxt not in seen:
                    heapq.heappush(heap, (time[nxt], nxt))
        return None


def route_queries(quick: bool) -> dict[str, Any]:
    rng = random.Random(7)
    connections, transfer = generate(rng)
    started = time.perf_counter()
    graph = TimeExpanded(connections, transfer)
    build_ms = (time.perf_counter() - started) * 1000
    count = 200 if quick else 1000
    queries = []
    while len(queries) < count:
        a, b = rng.randrange(CAMPUSES), rng.randrange(CAMPUSES)
        if a != b:
            queries.append((a, b, rng.randrange(6 * 60, 20 * 60)))

    started = time.perf_counter()
    csa = []
    for a, b, at in queries:
        found = earliest_arrival(connections, {a: at}, {b}, transfer)
        csa.append(found[0] if found else None)
    csa_s = time.perf_counter() - started

    started = time.perf_counter()
    dijkstra = [graph.earliest_arrival(a, at, b) for a, b, at in queries]
    dijkstra_s = time.perf_counter() - started

    assert csa == dijkstra, "CSA and Dijkstra disagree"
    return {
        "campuses": CAMPUSES,
        "trips_per_day": TRIPS_PER_DAY,
        "connections": len(connections),
        "queries": count,
        "unreachable": csa.count(None),
        "csa_qps": round(count / csa_s, 1),
        "dijkstra_qps": round(count / dijkstra_s, 1),
        "ratio": round(dijkstra_s / csa_s, 2),
        "graph_build_ms": round(build_ms, 1),
        "graph_nodes": len(graph.time),
    }


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
    print("route queries ...", file=sys.stderr)
    routing = route_queries(quick)
    print("manifests ...", file=sys.stderr)
    manifests = manifest_build(3 if quick else 5)
    emit({"benchmark": "routing", "routing": routing, "manifests": manifests})


if __name__ == "__main__":
    main()

import random
from itertools import pairwise

from bench.routing import dijkstra, graph_of
from routes.csa import INFINITY, Connection, Day, Profile, Scan, earliest_arrival


def test_staying_aboard_needs_no_sorting_time():
    # One bus A→B→C; sorting at B takes 30 minutes but the envelope never leaves the bus.
    trip = [Connection(0, 1, 600, 640, 1), Connection(1, 2, 645, 700, 1)]
    arrival, rides = earliest_arrival(trip, {0: 590}, {2}, {1: 30})
    assert arrival == 700
    assert len(rides) == 1


def test_changing_buses_waits_for_the_sorting_time():
    connections = [
        Connection(0, 1, 600, 640, 1),
        Connection(1, 2, 650, 700, 2),  # leaves 10 minutes after: too soon to sort
        Connection(1, 2, 700, 750, 3),
    ]
    arrival, rides = earliest_arrival(connections, {0: 590}, {2}, {1: 15})
    assert arrival == 750
    assert [ride.trip for ride in rides] == [1, 3]


def test_an_envelope_ready_after_the_last_departure_goes_nowhere():
    assert earliest_arrival([Connection(0, 1, 600, 640, 1)], {0: 601}, {1}) is None


def random_days(rng, days=2, stops=6, trips=300):
    """Days of random three-stop trips, as the kernel's :class:`Day` and as trip calls."""
    found = []
    for _ in range(days):
        calls, rows = [], []
        for trip in range(trips):
            at = rng.randrange(300, 1300)
            trip_calls = []
            for stop in rng.sample(range(stops), 3):
                trip_calls.append((stop, at, at + rng.choice((0, 2))))
                at = trip_calls[-1][2] + rng.randrange(15, 45)
            calls.append(trip_calls)
            for (a, _, dep), (b, arr, _) in pairwise(trip_calls):
                rows.append((dep, arr, a, b, trip))
        found.append((Day(rows, trips), calls))
    return found


def test_csa_agrees_with_a_time_dependent_dijkstra():
    rng = random.Random(3)
    days = random_days(rng)
    transfer = [rng.choice((5, 15, 25)) for _ in range(6)]
    graphs = [graph_of(calls) for _, calls in days]
    for _ in range(200):
        a, b, at = rng.randrange(6), rng.randrange(6), rng.randrange(300, 1800)
        scan = Scan(6, {a: at}, [b], transfer)
        for number, (day, _) in enumerate(days):
            if scan.feed(day, number * 1440):
                break
        found = dijkstra(graphs, {a: at}, {b}, transfer)
        assert (scan.best if scan.best < INFINITY else None) == found


def test_a_profile_answers_as_the_scan_does():
    rng = random.Random(7)
    days = random_days(rng)
    transfer = [rng.choice((5, 15, 25)) for _ in range(6)]
    fed = [(day, number * 1440) for number, (day, _) in enumerate(days)]
    profiles = {target: Profile(6, [target], transfer, fed) for target in range(6)}
    for _ in range(300):
        target, at = rng.randrange(6), rng.randrange(300, 1800)
        sources = {s: at + rng.choice((0, 0, 20)) for s in rng.sample(range(6), 2)}
        scan = Scan(6, sources, [target], transfer)
        for day, offset in fed:
            if scan.feed(day, offset):
                break
        best, rides = profiles[target].plan(sources)
        assert best == scan.best
        if best < INFINITY and target not in sources:
            assert rides[-1].alight.arr == best
            assert sources.get(rides[0].board.dep_stop, INFINITY) <= rides[0].board.dep


def test_a_profile_answers_for_a_whole_group_of_stops_as_the_scan_does():
    rng = random.Random(11)
    days = random_days(rng)
    transfer = [rng.choice((5, 15, 25)) for _ in range(6)]
    fed = [(day, number * 1440) for number, (day, _) in enumerate(days)]
    groups = [0, 0, 1, 1, 2, 2]
    profile = Profile(6, [4, 5], transfer, fed, groups)
    for _ in range(200):
        group, at = rng.randrange(2), rng.randrange(300, 1800)
        sources = {stop: at for stop in range(6) if groups[stop] == group}
        scan = Scan(6, sources, [4, 5], transfer)
        for day, offset in fed:
            if scan.feed(day, offset):
                break
        best, rides = profile.plan_group(group, at)
        assert best == scan.best
        if best < INFINITY:
            assert rides[0].board.dep_stop in sources
            assert rides[-1].alight.arr == best

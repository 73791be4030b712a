import random
from itertools import pairwise

from bench.routing import TimeExpanded
from routes.csa import Connection, earliest_arrival


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


def test_csa_agrees_with_dijkstra_on_the_time_expanded_graph():
    rng = random.Random(3)
    connections = []
    for trip in range(300):
        stops = rng.sample(range(6), 3)
        at = rng.randrange(300, 1200)
        for a, b in pairwise(stops):
            connections.append(Connection(a, b, at, at + 30, trip))
            at += 32
    connections.sort(key=lambda c: (c.dep, c.arr))
    transfer = {stop: rng.choice((5, 15, 25)) for stop in range(6)}
    graph = TimeExpanded(connections, transfer)
    for _ in range(200):
        a, b, at = rng.randrange(6), rng.randrange(6), rng.randrange(300, 1300)
        if a == b:
            continue
        found = earliest_arrival(connections, {a: at}, {b}, transfer)
        assert (found[0] if found else None) == graph.earliest_arrival(a, at, b)

"""The Connection Scan Algorithm (Dibbelt, Pajor, Strasser, Wagner 2013) for earliest arrival.

A timetable is a list of elementary connections (one vehicle from one stop to the next), sorted
by departure. One pass over them, stopping once no later connection can improve the target,
answers an earliest-arrival query; a transfer (sorting) time applies when an envelope changes
vehicles at a stop, not while it stays aboard. Times are whole minutes on any common scale.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice

INFINITY = 1 << 60


@dataclass(frozen=True, slots=True)
class Connection:
    """A vehicle of ``trip`` leaves ``dep_stop`` at ``dep`` and reaches ``arr_stop`` at ``arr``."""

    dep_stop: int
    arr_stop: int
    dep: int
    arr: int
    trip: int


@dataclass(frozen=True, slots=True)
class Ride:
    """One leg of a journey: aboard ``trip`` from ``board`` to ``alight``."""

    trip: int
    board: Connection
    alight: Connection


@dataclass
class Scan:
    """The state of one query, fed day after day by :meth:`feed` until the target is reached.

    ``sources`` maps stops to the time the envelope is ready there; ``transfer`` the minutes a
    change of vehicles takes at a stop (absent: none).
    """

    sources: Mapping[int, int]
    targets: frozenset[int]
    transfer: Mapping[int, int]
    ready: dict[int, int] = field(init=False)
    arrival: dict[int, int] = field(default_factory=dict, init=False)
    reached_by: dict[int, Connection] = field(default_factory=dict, init=False)
    boarded: dict[int, Connection] = field(default_factory=dict, init=False)
    best: int = field(default=INFINITY, init=False)

    def __post_init__(self) -> None:
        self.ready = dict(self.sources)
        for stop in self.targets & self.sources.keys():
            self.best = min(self.best, self.sources[stop])

    def feed(self, connections: Iterable[Connection]) -> bool:
        """Scan ``connections`` (sorted by departure, all later than earlier feeds); True once
        nothing later can improve the arrival."""
        ready, arrival, boarded, transfer = self.ready, self.arrival, self.boarded, self.transfer
        if isinstance(connections, Sequence) and ready:
            # Nothing leaves before the envelope is ready anywhere: skip straight past it.
            first = bisect_left(connections, min(ready.values()), key=_departure)
            connections = islice(connections, first, None)
        for c in connections:
            if c.dep >= self.best:
                return True
            if c.trip not in boarded:
                if ready.get(c.dep_stop, INFINITY) > c.dep:
                    continue
                boarded[c.trip] = c
            if c.arr < arrival.get(c.arr_stop, INFINITY):
                arrival[c.arr_stop] = c.arr
                self.reached_by[c.arr_stop] = c
                onward = c.arr + transfer.get(c.arr_stop, 0)
                if onward < ready.get(c.arr_stop, INFINITY):
                    ready[c.arr_stop] = onward
                if c.arr_stop in self.targets and c.arr < self.best:
                    self.best = c.arr
        return self.best < INFINITY

    def target_stop(self) -> int | None:
        """The target stop reached first, if any."""
        reached = [s for s in self.targets if s in self.sources and self.sources[s] == self.best]
        reached += [s for s in self.targets if self.arrival.get(s) == self.best]
        return reached[0] if reached and self.best < INFINITY else None

    def journey(self) -> list[Ride]:
        """The rides that reach the target first, in order (empty when a source is a target)."""
        stop = self.target_stop()
        if stop is None:
            raise LookupError("the target was not reached")
        if self.sources.get(stop) == self.best:
            return []
        rides: list[Ride] = []
        while True:
            alight = self.reached_by[stop]
            board = self.boarded[alight.trip]
            rides.insert(0, Ride(alight.trip, board, alight))
            stop = board.dep_stop
            if self.sources.get(stop, INFINITY) <= board.dep:
                return rides


def _departure(connection: Connection) -> int:
    return connection.dep


def earliest_arrival(
    connections: Iterable[Connection],
    sources: Mapping[int, int],
    targets: Iterable[int],
    transfer: Mapping[int, int] | None = None,
) -> tuple[int, list[Ride]] | None:
    """Earliest arrival at any of ``targets`` and the rides there, or None if unreachable."""
    scan = Scan(sources, frozenset(targets), transfer or {})
    scan.feed(connections)
    if scan.best >= INFINITY:
        return None
    return scan.best, scan.journey()

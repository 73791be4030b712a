"""The Connection Scan Algorithm (Dibbelt, Pajor, Strasser, Wagner 2013) for earliest arrival.

A timetable is a list of elementary connections (one vehicle from one stop to the next), sorted
by departure. One pass over them, stopping once no later connection can improve the target,
answers an earliest-arrival query; a transfer (sorting) time applies when an envelope changes
vehicles at a stop, not while it stays aboard. Times are whole minutes on any common scale.

The kernel works on a :class:`Day`: the connections of one service day as one sorted list of
plain ``(dep, arr, dep_stop, arr_stop, trip)`` integer tuples, stops and trips numbered densely
from 0, built once per timetable snapshot and day. A query allocates a few flat lists and no
object per connection; its state is kept between days so that a search can go on to the next.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

INFINITY = 1 << 60

#: ``(dep, arr, dep_stop, arr_stop, trip)``: stops and trips as dense indices.
Row = tuple[int, int, int, int, int]


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
    """One leg of a journey: aboard ``trip`` from ``board`` to ``alight`` on day ``day``
    (the index of the :class:`Day` fed), times on the scan's scale."""

    trip: int
    day: int
    board: Connection
    alight: Connection


class Day:
    """One service day's connections, sorted by departure (then arrival), times in minutes
    after that day's midnight; ``trips`` bounds the dense trip indices used."""

    __slots__ = ("departures", "rows", "trips")

    def __init__(self, rows: list[Row], trips: int) -> None:
        rows.sort()
        self.rows = rows
        self.departures = [row[0] for row in rows]
        self.trips = trips


class Scan:
    """The state of one query over ``stops`` dense stops, fed day after day by :meth:`feed`
    until the target is reached.

    ``sources`` maps stops to the time the envelope is ready there; ``transfer`` is the minutes
    a change of vehicles takes at each stop (a list indexed by stop).
    """

    __slots__ = (
        "aboard",
        "arrival",
        "best",
        "fed",
        "is_target",
        "reached_by",
        "ready",
        "sources",
        "transfer",
    )

    def __init__(
        self, stops: int, sources: Mapping[int, int], targets: Iterable[int], transfer: list[int]
    ) -> None:
        self.sources = dict(sources)
        self.is_target = [False] * stops
        for stop in targets:
            self.is_target[stop] = True
        self.transfer = transfer
        self.ready = [INFINITY] * stops
        self.arrival = [INFINITY] * stops
        #: Per stop: (fed day, row index) of the connection that reached it first.
        self.reached_by: list[tuple[int, int] | None] = [None] * stops
        #: Per fed day: per trip, the row index it was boarded at plus one (0: not aboard).
        self.aboard: list[list[int]] = []
        self.fed: list[tuple[Day, int]] = []
        self.best = INFINITY
        for stop, at in self.sources.items():
            self.ready[stop] = min(self.ready[stop], at)
            if self.is_target[stop]:
                self.best = min(self.best, at)

    def feed(self, day: Day, offset: int) -> bool:
        """Scan ``day``'s connections, ``offset`` minutes on (later than every earlier feed);
        True once nothing later can improve the arrival."""
        number = len(self.fed)
        self.fed.append((day, offset))
        aboard = [0] * day.trips
        self.aboard.append(aboard)
        # The loop below runs on the day's own clock: shift the few per-stop labels instead of
        # every connection.
        ready = [r - offset for r in self.ready]
        arrival = [a - offset for a in self.arrival]
        transfer, is_target, reached_by = self.transfer, self.is_target, self.reached_by
        best = self.best - offset
        rows = day.rows
        # Nothing leaves before the envelope is ready anywhere: skip straight past it.
        start = bisect_left(day.departures, min(ready))
        done = False
        for index in range(start, len(rows)):
            dep, arr, a, b, trip = rows[index]
            if dep >= best:
                done = True
                break
            if not aboard[trip]:
                if ready[a] > dep:
                    continue
                aboard[trip] = index + 1
            if arr < arrival[b]:
                arrival[b] = arr
                reached_by[b] = (number, index)
                onward = arr + transfer[b]
                if onward < ready[b]:
                    ready[b] = onward
                if is_target[b] and arr < best:
                    best = arr
        self.ready = [r + offset for r in ready]
        self.arrival = [a + offset for a in arrival]
        self.best = best + offset
        return done or self.best < INFINITY

    def target_stop(self) -> int | None:
        """The target stop reached first, if any."""
        if self.best >= INFINITY:
            return None
        for stop, at in self.sources.items():
            if self.is_target[stop] and at == self.best:
                return stop
        for stop, at in enumerate(self.arrival):
            if self.is_target[stop] and at == self.best:
                return stop
        return None

    def journey(self) -> list[Ride]:
        """The rides that reach the target first, in order (empty when a source is a target)."""
        stop = self.target_stop()
        if stop is None:
            raise LookupError("the target was not reached")
        if self.sources.get(stop) == self.best:
            return []
        rides: list[Ride] = []
        while True:
            reached = self.reached_by[stop]
            assert reached is not None
            number, index = reached
            day, offset = self.fed[number]
            alight = _connection(day.rows[index], offset)
            board = _connection(day.rows[self.aboard[number][alight.trip] - 1], offset)
            rides.insert(0, Ride(alight.trip, number, board, alight))
            stop = board.dep_stop
            if self.sources.get(stop, INFINITY) <= board.dep:
                return rides


class Profile:
    """Earliest arrival at ``targets`` from every stop and every ready time, over consecutive
    days fed in order (``days``: each :class:`Day` with its offset): the profile variant of the
    scan (Dibbelt et al., section 4), one pass backwards over the connections.

    A query then costs a bisection per source stop instead of a scan. Answers and journeys are
    those of :class:`Scan` over the same days: the same arrival, and among equal arrivals the
    earliest departure. Per stop the entries are kept as flat arrays, departures negated so that
    they ascend. ``groups`` gives stops a group (a campus; -1: none): each group also gets the
    entries of all its stops merged, so that a query from every stop of a group at one time is
    one bisection.
    """

    __slots__ = (
        "alight",
        "arrival",
        "board",
        "days",
        "group_arrival",
        "group_entry",
        "group_leave",
        "group_target",
        "is_target",
        "journeys",
        "leave",
        "transfer",
    )

    def __init__(
        self,
        stops: int,
        targets: Iterable[int],
        transfer: list[int],
        days: Sequence[tuple[Day, int]],
        groups: Sequence[int] = (),
    ) -> None:
        self.days = list(days)
        self.transfer = transfer
        self.is_target = is_target = [False] * stops
        for stop in targets:
            is_target[stop] = True
        # Built in lists (appends and bisections on lists cost a third of those on arrays),
        # kept as arrays: a profile holds about one entry per connection.
        leave: list[list[int]] = [[] for _ in range(stops)]
        arrival: list[list[int]] = [[] for _ in range(stops)]
        # Connections as day number * 2**32 + row index.
        board: list[list[int]] = [[] for _ in range(stops)]
        alight: list[list[int]] = [[] for _ in range(stops)]
        group_of = list(groups) or [-1] * stops
        count = max(group_of, default=-1) + 1
        group_leave: list[list[int]] = [[] for _ in range(count)]
        group_arrival: list[list[int]] = [[] for _ in range(count)]
        # Each merged entry as stop * 2**32 + its index among that stop's entries.
        group_entry: list[list[int]] = [[] for _ in range(count)]
        self.group_target = [False] * count
        for stop in range(stops):
            if is_target[stop] and group_of[stop] >= 0:
                self.group_target[group_of[stop]] = True
        # Leaving a stop at -leave[stop][i] or later arrives at arrival[stop][i]; past the last
        # entry nothing arrives: the sentinels spare the loop an emptiness test.
        last_arrival = [INFINITY] * stops
        last_group = [INFINITY] * count
        changes = [-t for t in transfer]
        for number in range(len(self.days) - 1, -1, -1):
            day, offset = self.days[number]
            rows = day.rows
            trip_best = [INFINITY] * day.trips
            trip_exit = [0] * day.trips
            tag = number << 32
            for index in range(len(rows) - 1, -1, -1):
                dep, arr, a, b, trip = rows[index]
                arr += offset
                # Alight here at a target; stay aboard; or change vehicles here.
                best = arr if is_target[b] else INFINITY
                exit_at = tag | index
                if trip_best[trip] < best:
                    best, exit_at = trip_best[trip], trip_exit[trip]
                there = leave[b]
                if there:
                    found = bisect_right(there, changes[b] - arr) - 1
                    if found >= 0 and arrival[b][found] < best:
                        best, exit_at = arrival[b][found], tag | index
                if best >= INFINITY:
                    continue
                trip_best[trip], trip_exit[trip] = best, exit_at
                # Equal arrivals: the earlier departure is kept, as the forward scan boards.
                if best <= last_arrival[a]:
                    last_arrival[a] = best
                    dep = -dep - offset
                    leave[a].append(dep)
                    here = arrival[a]
                    here.append(best)
                    board[a].append(tag | index)
                    alight[a].append(exit_at)
                    group = group_of[a]
                    if group >= 0 and best <= last_group[group]:
                        last_group[group] = best
                        group_leave[group].append(dep)
                        group_arrival[group].append(best)
                        group_entry[group].append(a << 32 | len(here) - 1)
        self.leave = [array("q", x) for x in leave]
        self.arrival = [array("q", x) for x in arrival]
        self.board = [array("q", x) for x in board]
        self.alight = [array("q", x) for x in alight]
        self.group_leave = [array("q", x) for x in group_leave]
        self.group_arrival = [array("q", x) for x in group_arrival]
        self.group_entry = [array("q", x) for x in group_entry]
        #: Rides from an entry on, by stop * 2**32 + entry: repeated questions share them.
        self.journeys: dict[int, list[Ride]] = {}

    def _entry(self, stop: int, ready: int) -> int:
        """The index of ``stop``'s entry that leaves first at or after ``ready`` (-1: none)."""
        return bisect_right(self.leave[stop], -ready) - 1

    def plan(self, sources: Mapping[int, int]) -> tuple[int, list[Ride]]:
        """The earliest arrival from ``sources`` (stop → ready time) and its rides, boarding as
        early as that arrival allows; :data:`INFINITY` and no rides when nothing gets there,
        no rides when a source is a target."""
        best, start = INFINITY, (-1, -1)
        for stop, ready in sources.items():
            if self.is_target[stop] and ready <= best:
                best, start = ready, (-1, -1)
            found = self._entry(stop, ready)
            if found < 0:
                continue
            arrival = self.arrival[stop][found]
            if arrival < best or (
                arrival == best
                and start[0] >= 0
                and self.leave[stop][found] > self.leave[start[0]][start[1]]
            ):
                best, start = arrival, (stop, found)
        if start[0] < 0:
            return best, []
        return best, self._journey(start[0], start[1], best)

    def group_entry_at(self, group: int, ready: int) -> int:
        """The index of ``group``'s merged entry that leaves first at or after ``ready``
        (-1: none); answers from one entry are all the same."""
        return bisect_right(self.group_leave[group], -ready) - 1

    def plan_group(self, group: int, ready: int) -> tuple[int, list[Ride]]:
        """As :meth:`plan` from every stop of ``group``, all ready at ``ready``."""
        if self.group_target[group]:
            return ready, []
        found = self.group_entry_at(group, ready)
        if found < 0:
            return INFINITY, []
        best = self.group_arrival[group][found]
        entry = self.group_entry[group][found]
        return best, self._journey(entry >> 32, entry & 0xFFFFFFFF, best)

    def _journey(self, stop: int, found: int, best: int) -> list[Ride]:
        key = stop << 32 | found
        rides = self.journeys.get(key)
        if rides is not None:
            return rides
        rides = []
        while True:
            board = self._row(self.board[stop][found])
            alight = self._row(self.alight[stop][found])
            rides.append(Ride(alight.trip, self.board[stop][found] >> 32, board, alight))
            stop = alight.arr_stop
            if self.is_target[stop] and alight.arr == best:
                self.journeys[key] = rides
                return rides
            found = self._entry(stop, alight.arr + self.transfer[stop])

    def _row(self, tagged: int) -> Connection:
        day, offset = self.days[tagged >> 32]
        return _connection(day.rows[tagged & 0xFFFFFFFF], offset)


def _connection(row: Row, offset: int) -> Connection:
    dep, arr, a, b, trip = row
    return Connection(a, b, dep + offset, arr + offset, trip)


def earliest_arrival(
    connections: Sequence[Connection],
    sources: Mapping[int, int],
    targets: Iterable[int],
    transfer: Mapping[int, int] | None = None,
) -> tuple[int, list[Ride]] | None:
    """Earliest arrival at any of ``targets`` and the rides there, or None if unreachable.

    Stops and trips may be any non-negative integers here; they are numbered densely for the
    kernel and given back as they came.
    """
    targets = list(targets)
    stop_ids = sorted(
        {c.dep_stop for c in connections}
        | {c.arr_stop for c in connections}
        | set(sources)
        | set(targets)
    )
    stop_of = {stop: n for n, stop in enumerate(stop_ids)}
    trip_ids = sorted({c.trip for c in connections})
    trip_of = {trip: n for n, trip in enumerate(trip_ids)}
    day = Day(
        [
            (c.dep, c.arr, stop_of[c.dep_stop], stop_of[c.arr_stop], trip_of[c.trip])
            for c in connections
        ],
        len(trip_ids),
    )
    transfer = transfer or {}
    scan = Scan(
        len(stop_ids),
        {stop_of[s]: at for s, at in sources.items()},
        [stop_of[s] for s in targets],
        [transfer.get(stop, 0) for stop in stop_ids],
    )
    scan.feed(day, 0)
    if scan.best >= INFINITY:
        return None
    rides = [
        Ride(
            trip_ids[ride.trip],
            ride.day,
            _named(ride.board, stop_ids, trip_ids),
            _named(ride.alight, stop_ids, trip_ids),
        )
        for ride in scan.journey()
    ]
    return scan.best, rides


def _named(c: Connection, stop_ids: list[int], trip_ids: list[int]) -> Connection:
    return Connection(stop_ids[c.dep_stop], stop_ids[c.arr_stop], c.dep, c.arr, trip_ids[c.trip])

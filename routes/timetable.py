"""Timetables as CSV: one row per call of a trip at a stop, in the trip's order.

Columns: ``trip,line,vehicle,days,season,stop,arrive,depart`` (``bus_box``, the controller of the
vehicle's bus box, is optional). ``days`` is workday, dayoff or daily; ``season`` all, term or
vacation; times are ``HH:MM``, the first call needs only ``depart`` and the last only ``arrive``.
An import replaces the whole timetable; every bad row is reported with its line number.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import N_, Problem, ValidationFailed
from routes.models import (
    DayType,
    Line,
    Manifest,
    PlanLeg,
    Season,
    Stop,
    StopTime,
    Trip,
    Vehicle,
)
from routes.network import changed, stop_locations

COLUMNS = ("trip", "line", "vehicle", "days", "season", "stop", "arrive", "depart")
TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


@dataclass
class TripRows:
    code: str
    line: str
    vehicle: str
    days: DayType
    season: Season
    bus_box: str
    first_line: int
    calls: list[tuple[int, str, int | None, int | None]] = field(default_factory=list)


def _minute(text: str) -> int | None:
    match = TIME.match(text.strip())
    return int(match[1]) * 60 + int(match[2]) if match else None


def parse_timetable(session: Session, text: str) -> list[TripRows]:
    """Read and check a timetable; raises :class:`ValidationFailed` listing every bad row."""
    problems: list[Problem] = []
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ValidationFailed(
            [
                Problem(
                    "file", N_("Missing columns: %(columns)s."), line=1, columns=", ".join(missing)
                )
            ]
        )
    places = stop_locations(session)
    trips: dict[str, TripRows] = {}
    trip_of_line: dict[int, str] = {}
    for row in reader:
        line = reader.line_num
        get = {k: (v or "").strip() for k, v in row.items() if k}
        code = trip_of_line[line] = get["trip"]
        if not code:
            problems.append(Problem("trip", N_("Name the trip."), line=line))
            continue
        try:
            days, season = DayType(get["days"] or "workday"), Season(get["season"] or "all")
        except ValueError:
            problems.append(
                Problem(
                    "days",
                    N_("Days are workday, dayoff or daily; season is all, term or vacation."),
                    line=line,
                )
            )
            continue
        trip = trips.setdefault(
            code,
            TripRows(code, get["line"], get["vehicle"], days, season, get.get("bus_box", ""), line),
        )
        if (trip.line, trip.vehicle, trip.days, trip.season) != (
            get["line"],
            get["vehicle"],
            days,
            season,
        ):
            problems.append(
                Problem(
                    "trip",
                    N_("Trip %(trip)s changes its line, vehicle, days or season."),
                    line=line,
                    trip=code,
                )
            )
        if not get["line"]:
            problems.append(Problem("line", N_("Name the line."), line=line))
        if get["stop"] not in places:
            problems.append(
                Problem("stop", N_("Unknown stop %(stop)s."), line=line, stop=get["stop"])
            )
            continue
        arrive, depart = _minute(get["arrive"]), _minute(get["depart"])
        if (get["arrive"] and arrive is None) or (get["depart"] and depart is None):
            problems.append(Problem("time", N_("Write times as HH:MM."), line=line))
            continue
        if arrive is None and depart is None:
            problems.append(
                Problem("time", N_("Give the arrival or the departure time."), line=line)
            )
            continue
        arrive = depart if arrive is None else arrive
        depart = arrive if depart is None else depart
        if depart < arrive:
            problems.append(Problem("depart", N_("It leaves before it arrives."), line=line))
            continue
        if trip.calls and arrive < trip.calls[-1][3]:
            problems.append(
                Problem(
                    "arrive",
                    N_("Trip %(trip)s arrives at %(stop)s before it leaves the stop before."),
                    line=line,
                    trip=code,
                    stop=get["stop"],
                )
            )
            continue
        trip.calls.append((line, get["stop"], arrive, depart))
    bad_trips = {trip_of_line.get(p.line or 0) for p in problems}
    for trip in trips.values():
        if len(trip.calls) < 2 and trip.code not in bad_trips:
            problems.append(
                Problem(
                    "trip",
                    N_("Trip %(trip)s needs at least two stops."),
                    line=trip.first_line,
                    trip=trip.code,
                )
            )
    problems += _overlapping_duties(list(trips.values()))
    if problems:
        raise ValidationFailed(sorted(problems, key=lambda p: p.line or 0))
    return list(trips.values())


def _overlaps(a: TripRows, b: TripRows) -> bool:
    same_days = DayType.DAILY in (a.days, b.days) or a.days == b.days
    same_season = Season.ALL in (a.season, b.season) or a.season == b.season
    a_from, a_to = a.calls[0][3], a.calls[-1][2]
    b_from, b_to = b.calls[0][3], b.calls[-1][2]
    return same_days and same_season and a_from < b_to and b_from < a_to  # type: ignore[operator]


def _overlapping_duties(trips: list[TripRows]) -> list[Problem]:
    """A vehicle cannot run two trips at once on the same days."""
    problems = []
    by_vehicle: dict[str, list[TripRows]] = defaultdict(list)
    for trip in trips:
        if trip.vehicle and len(trip.calls) >= 2:
            by_vehicle[trip.vehicle].append(trip)
    for vehicle, duties in by_vehicle.items():
        duties.sort(key=lambda t: t.calls[0][3] or 0)
        for index, trip in enumerate(duties):
            for earlier in duties[:index]:
                if _overlaps(earlier, trip):
                    problems.append(
                        Problem(
                            "vehicle",
                            N_("Vehicle %(vehicle)s would run %(trip)s while still on %(other)s."),
                            line=trip.first_line,
                            vehicle=vehicle,
                            trip=trip.code,
                            other=earlier.code,
                        )
                    )
                    break
    return problems


def import_timetable(session: Session, text: str) -> int:
    """Replace the timetable with the CSV's; returns the number of trips. Stops named for the
    first time join the network with the default sorting time."""
    parsed = parse_timetable(session, text)
    places = stop_locations(session)
    stops = {s.location_id: s for s in session.scalars(select(Stop))}
    lines = {line.code: line for line in session.scalars(select(Line))}
    vehicles = {v.code: v for v in session.scalars(select(Vehicle))}
    existing = {t.code: t for t in session.scalars(select(Trip))}
    kept_codes = {t.code for t in parsed}
    # Trips still named in a plan or a manifest stay (their history refers to them) but lose
    # their calls, so they no longer run.
    referenced = set(session.scalars(select(PlanLeg.trip_id))) | set(
        session.scalars(select(Manifest.trip_id))
    )
    for code, trip in existing.items():
        if code in kept_codes:
            continue
        if trip.id in referenced:
            trip.stop_times = []
        else:
            session.delete(trip)
    session.flush()
    for rows in parsed:
        line = lines.get(rows.line) or Line(code=rows.line, name=rows.line)
        lines[rows.line] = line
        vehicle = None
        if rows.vehicle:
            vehicle = vehicles.get(rows.vehicle) or Vehicle(code=rows.vehicle, name=rows.vehicle)
            vehicles[rows.vehicle] = vehicle
            if rows.bus_box:
                vehicle.bus_box = rows.bus_box
        trip = existing.get(rows.code) or Trip(code=rows.code)
        trip.line, trip.vehicle, trip.days, trip.season = line, vehicle, rows.days, rows.season
        calls = []
        for seq, (_line, code, arrive, depart) in enumerate(rows.calls):
            location = places[code]
            stop = stops.get(location.id)
            if stop is None:
                stop = stops[location.id] = Stop(location=location)
                session.add(stop)
            calls.append(StopTime(seq=seq, stop=stop, arrive_minute=arrive, depart_minute=depart))
        if trip.id is not None:
            trip.stop_times = []
            session.flush()
        trip.stop_times = calls
        session.add(trip)
    session.flush()
    changed(session)
    return len(parsed)


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def export_timetable(session: Session) -> str:
    """The timetable as CSV, in the import's format (trips without calls are left out)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow((*COLUMNS, "bus_box"))
    for trip in session.scalars(select(Trip).order_by(Trip.code)):
        last = len(trip.stop_times) - 1
        for index, call in enumerate(trip.stop_times):
            writer.writerow(
                (
                    trip.code,
                    trip.line.code,
                    trip.vehicle.code if trip.vehicle else "",
                    trip.days,
                    trip.season,
                    call.stop.code,
                    "" if index == 0 else _hhmm(call.arrive_minute),
                    "" if index == last else _hhmm(call.depart_minute),
                    trip.vehicle.bus_box or "" if trip.vehicle else "",
                )
            )
    return out.getvalue()


def set_stop(session: Session, stop: Stop, is_hub: bool, transfer_minutes: int) -> None:
    """Change whether ``stop`` is a hub and how long sorting takes there."""
    if not 0 <= transfer_minutes <= 240:
        raise ValidationFailed([Problem("transfer_minutes", N_("Sorting takes 0 to 240 minutes."))])
    stop.is_hub, stop.transfer_minutes = is_hub, transfer_minutes
    session.flush()
    changed(session)

"""Drop-box emptying rounds: the cut-off times of the network's first mile."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from catalog.models import Location
from core.errors import N_, Problem, ValidationFailed
from routes.models import DayType, DropBoxEmptying, Stop, Trip
from routes.network import changed


def set_rounds(
    session: Session,
    location: Location,
    stop: Stop,
    rounds: list[tuple[int, DayType]],
    carry_minutes: int = 10,
) -> list[DropBoxEmptying]:
    """Replace the emptying rounds of the drop box at ``location``: each ``(minute, days)``."""
    if stop.location.campus_id != location.campus_id:
        raise ValidationFailed(
            [Problem("stop", N_("The drop box and its stop must be on one campus."))]
        )
    session.execute(delete(DropBoxEmptying).where(DropBoxEmptying.location_id == location.id))
    rows = [
        DropBoxEmptying(
            location_id=location.id,
            stop=stop,
            minute=minute,
            days=days,
            carry_minutes=carry_minutes,
        )
        for minute, days in sorted(set(rounds))
    ]
    session.add_all(rows)
    session.flush()
    changed(session)
    return rows


def rounds_before_departures(
    session: Session,
    location: Location,
    stop: Stop,
    minutes_before: int = 20,
    carry_minutes: int = 10,
) -> list[DropBoxEmptying]:
    """Empty the drop box ``minutes_before`` each departure from ``stop``, on the days it runs."""
    departures = {
        (trip.stop_times[0].depart_minute - minutes_before, trip.days)
        for trip in session.scalars(select(Trip))
        if trip.stop_times and trip.stop_times[0].stop_id == stop.id
    }
    return set_rounds(
        session, location, stop, [(m, d) for m, d in departures if m >= 0], carry_minutes
    )


def rounds(session: Session) -> list[DropBoxEmptying]:
    return list(
        session.scalars(
            select(DropBoxEmptying).order_by(DropBoxEmptying.location_id, DropBoxEmptying.minute)
        )
    )

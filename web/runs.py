"""The day's shuttle runs with their planned envelopes and manifests: the departures page and
the courier's home both show them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from routes.manifests import departures
from routes.models import Manifest, PlanLeg, Trip
from routes.network import local_midnight


def runs_on(session: Session, date: dt.date) -> list[dict[str, Any]]:
    """Each run leaving on ``date``: its trip, departure, envelopes planned and manifest."""
    start = local_midnight(date)
    found = departures(session, start, start + dt.timedelta(days=1) - dt.timedelta(seconds=1))
    planned: dict[int, int] = dict(
        session.execute(
            select(PlanLeg.trip_id, func.count())
            .where(PlanLeg.service_date == date)
            .group_by(PlanLeg.trip_id)
        ).all()
    )
    manifests = {
        m.trip_id: m for m in session.scalars(select(Manifest).where(Manifest.service_date == date))
    }
    trips = {t.id: t for t in session.scalars(select(Trip))}
    return [
        {
            "trip": trips[trip_id],
            "departs_at": leaves,
            "planned": planned.get(trip_id, 0),
            "manifest": manifests.get(trip_id),
        }
        for trip_id, _, leaves in found
    ]

"""The hall's scheduled work (run by ``courier scheduler``)."""

from __future__ import annotations

import datetime as dt

from core.jobs import Job
from tickets.appointments import remind_tomorrow

JOBS: list[Job] = [
    Job("tickets.remind_appointments", remind_tomorrow, dt.timedelta(minutes=15)),
]

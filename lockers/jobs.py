"""Lockers' scheduled work (run by ``courier scheduler``)."""

from __future__ import annotations

import datetime as dt

from core.jobs import Job
from lockers.uncollected import remind_uncollected

JOBS: list[Job] = [
    Job("lockers.remind_uncollected", remind_uncollected, dt.timedelta(minutes=10)),
]

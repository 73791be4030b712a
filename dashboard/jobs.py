"""The dashboard's scheduled work (run by ``courier scheduler``)."""

from __future__ import annotations

import datetime as dt

from core.jobs import Job
from dashboard.rollups import refresh

JOBS: list[Job] = [Job("dashboard.roll_up", refresh, dt.timedelta(minutes=5))]

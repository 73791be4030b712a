"""The bridge's scheduled work (run by ``courier scheduler``)."""

from __future__ import annotations

import datetime as dt

from core.jobs import Job
from firmware_bridge import retention

#: Every minute, a bounded batch each: up to 14 M device events a day at the default batch.
JOBS: list[Job] = [
    Job("firmware_bridge.retention", retention.forget_old, dt.timedelta(minutes=1)),
]

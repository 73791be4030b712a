"""The courier's scheduled work."""

from __future__ import annotations

import datetime as dt

from core.jobs import Job
from courier import partitions, sla

JOBS = [
    Job("courier.sla_scan", sla.scan, every=dt.timedelta(minutes=1)),
    Job("courier.custody_partitions", partitions.add_months, every=dt.timedelta(hours=6)),
]

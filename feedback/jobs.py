"""The follow-ups' scheduled work."""

from __future__ import annotations

import datetime as dt

from core.jobs import Job
from feedback import follow_ups

JOBS = [Job("feedback.flag_overdue", follow_ups.flag_overdue, every=dt.timedelta(minutes=5))]

"""The routes package's scheduled work: departure manifests (see :mod:`routes.manifests`)."""

from __future__ import annotations

import datetime as dt

from core.jobs import Job
from routes import manifests

JOBS: list[Job] = [
    Job("routes.manifests", manifests.run, dt.timedelta(minutes=5)),
]

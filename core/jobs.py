"""Scheduled jobs: each package declares its own in ``<package>/jobs.py`` as ``JOBS``.

One scheduler process (``courier scheduler``, started by ``courier run``) runs them with
APScheduler; no web worker runs a scheduler. A job is a plain function of a session that flushes
and never commits: :func:`run_once` owns the transaction, as a request or an MQTT batch does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from core.db import for_writing, unit_of_work


@dataclass(frozen=True)
class Job:
    """Work that runs every ``every``; ``id`` names it in logs and in APScheduler."""

    id: str
    run: Callable[[Session], object]
    every: dt.timedelta


def run_once(sessions: Callable[[], Session], job: Job) -> object:
    """Run ``job`` in its own transaction: committed when it returns, rolled back if it raises."""
    with unit_of_work(sessions) as session:  # type: ignore[arg-type]
        return job.run(for_writing(session))

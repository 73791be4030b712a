"""The scheduler process: every package's jobs (``<package>/jobs.py``) on APScheduler.

``courier scheduler`` runs it (``courier run`` starts one); web workers never do. Production runs
two for availability: every run takes its job's lock first and the jobs are idempotent
(:mod:`core.jobs`), so two schedulers do each job's work once. Each run is its own transaction
(:func:`core.jobs.run_once`); a failing run is logged and retried at the next interval.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy.orm import Session

from core.clock import SHANGHAI
from core.jobs import Job, Skipped, core_jobs, run_once

log = logging.getLogger(__name__)


def all_jobs() -> list[Job]:
    """The jobs every package declares."""
    from courier.jobs import JOBS as courier_jobs
    from dashboard.jobs import JOBS as dashboard_jobs
    from feedback.jobs import JOBS as feedback_jobs
    from firmware_bridge.jobs import JOBS as bridge_jobs
    from lockers.jobs import JOBS as locker_jobs
    from routes.jobs import JOBS as route_jobs
    from tickets.jobs import JOBS as ticket_jobs

    return [
        *core_jobs(),
        *courier_jobs,
        *locker_jobs,
        *route_jobs,
        *feedback_jobs,
        *ticket_jobs,
        *bridge_jobs,
        *dashboard_jobs,
    ]


def _runner(sessions: Callable[[], Session], job: Job) -> Callable[[], None]:
    def run() -> None:
        try:
            result = run_once(sessions, job)
        except Exception:
            log.exception("job %s failed; it runs again at its next interval", job.id)
        else:
            if isinstance(result, Skipped):
                log.debug("job %s: running in another scheduler, skipped", job.id)
            else:
                log.info("job %s: %s", job.id, result)

    return run


def build_scheduler(
    sessions: Callable[[], Session], jobs: list[Job] | None = None
) -> BlockingScheduler:
    """A scheduler with each job on its interval; a run that is late or still busy is not
    doubled in this process (one instance, missed runs coalesced), nor by another scheduler
    (the job's lock)."""
    scheduler = BlockingScheduler(timezone=SHANGHAI)
    for job in all_jobs() if jobs is None else jobs:
        scheduler.add_job(
            _runner(sessions, job),
            "interval",
            seconds=job.every.total_seconds(),
            id=job.id,
            name=job.id,
            max_instances=1,
            coalesce=True,
            next_run_time=dt.datetime.now(SHANGHAI),
        )
    return scheduler

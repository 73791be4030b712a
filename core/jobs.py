"""Scheduled jobs: each package declares its own in ``<package>/jobs.py`` as ``JOBS``.

``courier scheduler`` (started by ``courier run``) runs them with APScheduler; no web worker runs
a scheduler. Two scheduler processes may run for availability: each run takes the job's lock
first (on PostgreSQL a transaction-scoped advisory lock; on SQLite the write lock every job
transaction takes at its start), so a job never runs twice at once, and the jobs themselves are
idempotent, so a run right after another finds nothing left to do. A job is a plain function of a
session that flushes and never commits: :func:`run_once` owns the transaction, as a request or
an MQTT batch does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db import for_writing, lock_key, unit_of_work


@dataclass(frozen=True)
class Job:
    """Work that runs every ``every``; ``id`` names it in logs and in APScheduler."""

    id: str
    run: Callable[[Session], object]
    every: dt.timedelta


@dataclass(frozen=True)
class Skipped:
    """What :func:`run_once` returns when another scheduler is running the job right now."""

    job_id: str


def run_once(sessions: Callable[[], Session], job: Job) -> object:
    """Run ``job`` in its own transaction: committed when it returns, rolled back if it raises;
    :class:`Skipped` without running when another process holds the job's lock."""
    with unit_of_work(sessions) as session:  # type: ignore[arg-type]
        for_writing(session)
        if not _locked_for(session, job.id):
            return Skipped(job.id)
        return job.run(session)


def _locked_for(session: Session, job_id: str) -> bool:
    """Take the job's lock for this transaction; False if another transaction holds it."""
    if session.get_bind().dialect.name != "postgresql":
        return True  # SQLite: for_writing already holds the database's only write lock
    return bool(session.scalar(select(func.pg_try_advisory_xact_lock(lock_key(job_id)))))


def core_jobs() -> list[Job]:
    """The core's own housekeeping."""
    from core.idempotency import forget_old_keys

    return [Job("core.forget_old_idempotency_keys", forget_old_keys, dt.timedelta(hours=1))]

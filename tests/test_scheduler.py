"""The scheduler process runs every package's jobs, each in its own transaction."""

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from core.jobs import Job, run_once
from core.users import User
from tests import factories
from web.scheduler import all_jobs, build_scheduler


def test_the_sla_scan_is_scheduled_every_minute():
    jobs = {job.id: job.every for job in all_jobs()}
    assert jobs["courier.sla_scan"] == dt.timedelta(minutes=1)


def test_the_scheduler_has_one_entry_per_job_that_never_runs_twice_at_once():
    scheduler = build_scheduler(lambda: None)
    entries = {entry.id: entry for entry in scheduler.get_jobs()}
    assert set(entries) == {job.id for job in all_jobs()}
    assert all(entry.max_instances == 1 and entry.coalesce for entry in entries.values())


def test_a_job_run_commits_what_it_did(connection):
    sessions = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    run_once(sessions, Job("add", lambda s: factories.user(s, "from_a_job"), dt.timedelta(1)))
    with sessions() as session:
        assert session.scalar(select(User).where(User.login == "from_a_job")) is not None


def test_a_failing_job_run_leaves_nothing_behind(connection):
    sessions = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")

    def fail(session):
        factories.user(session, "half_done")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        run_once(sessions, Job("fail", fail, dt.timedelta(1)))
    with sessions() as session:
        assert session.scalar(select(User).where(User.login == "half_done")) is None


def test_every_package_with_scheduled_work_has_its_jobs_in_the_scheduler():
    assert {job.id for job in all_jobs()} >= {
        "courier.sla_scan",
        "lockers.remind_uncollected",
        "routes.manifests",
    }

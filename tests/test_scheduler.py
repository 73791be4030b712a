"""The scheduler process runs every package's jobs, each in its own transaction."""

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from core.db import lock_key, make_engine, make_session_factory, unit_of_work
from core.jobs import Job, Skipped, run_once
from core.outbox import OutboxMessage
from core.users import Role, User
from firmware_bridge.models import Command
from lockers.compartments import add_bank, place_for_pickup
from lockers.models import Alert, AlertKind, BankKind, PickupCode, Size
from services.bootstrap import build_bus, with_code_key
from tests import factories
from tests.conftest import CODE_KEY
from tests.databases import backend, fresh_database
from tests.lockers.test_lockers import ready_for_pickup
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
        "feedback.flag_overdue",
        "tickets.remind_appointments",
    }


@pytest.fixture
def committed_database(tmp_path):
    with fresh_database(tmp_path) as url:
        engine = make_engine(url)
        factory = make_session_factory(engine, build_bus())
        yield lambda: with_code_key(factory(), CODE_KEY)
        engine.dispose()


def uncollected_results(sessions, count: int) -> None:
    """``count`` results placed for pickup and an administrator and a clerk to alert."""
    with unit_of_work(sessions) as session:
        place = factories.location(session, "NH-LOCKER-1", "NH", kind="locker_site")
        bank = add_bank(session, "NH-PU-01", "南湖取件柜", BankKind.PICKUP, place, [Size.S] * count)
        factories.user(session, "alarm_admin", Role.ADMIN, phone="+8613800000101")
        factories.user(session, "alarm_clerk", Role.CLERK, phone="+8613800000102")
        for n in range(count):
            consignment = ready_for_pickup(
                session, factories.consignment(session, origin="NH", department_campus="NH")
            )
            place_for_pickup(session, consignment, bank, actor=None, key=f"p{n}")


def effects(sessions) -> tuple[int, int, int]:
    """Uncollected alerts, door-open commands, locker-alarm notices."""
    with sessions() as session:
        alerts = session.scalar(
            select(func.count()).select_from(Alert).where(Alert.kind == AlertKind.UNCOLLECTED)
        )
        opens = session.scalar(
            select(func.count()).select_from(Command).where(Command.op == "open")
        )
        notices = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.dedupe_key.startswith("alarm:"))
        )
    return alerts or 0, opens or 0, notices or 0


@pytest.mark.slow
def test_two_schedulers_side_by_side_do_each_jobs_work_exactly_once(
    committed_database, frozen_clock
):
    uncollected_results(committed_database, 10)
    frozen_clock.advance(dt.timedelta(hours=73))
    start = threading.Barrier(2)

    def scheduler() -> None:
        start.wait()
        for _ in range(3):
            for job in all_jobs():
                run_once(committed_database, job)

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Ten alarms in one window: told at once to the administrator and the clerk, then one
    # summary each (alarms are coalesced per kind, bank and 15 minutes).
    assert effects(committed_database) == (10, 10, 4)


def test_a_job_another_scheduler_is_running_is_skipped(committed_database):
    if backend() != "postgresql":
        pytest.skip("on SQLite the write lock makes the second run wait instead")
    ran = []
    job = Job("held", ran.append, dt.timedelta(minutes=1))
    with committed_database() as holder, holder.begin():
        holder.execute(select(func.pg_advisory_xact_lock(lock_key(job.id))))
        assert run_once(committed_database, job) == Skipped("held")
    assert ran == []


def test_an_uncollected_result_raises_one_alert_however_often_the_job_runs(
    committed_database, frozen_clock
):
    uncollected_results(committed_database, 1)
    frozen_clock.advance(dt.timedelta(hours=73))
    (job,) = [j for j in all_jobs() if j.id == "lockers.remind_uncollected"]
    run_once(committed_database, job)
    with unit_of_work(committed_database) as session:
        code = session.scalars(select(PickupCode)).one()
        code.revoked_at = None  # as if the first run's work were seen only after it was done
    run_once(committed_database, job)
    assert effects(committed_database) == (1, 1, 2)

"""Retention of the bridge's logs: old applied device events and old dead letters go, a batch a
run; what the sequence still needs stays."""

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from core import clock
from core.config import RetentionSettings
from core.jobs import run_once
from firmware_bridge.jobs import JOBS
from firmware_bridge.models import ControllerSequence, DeadLetter, DeviceEvent
from firmware_bridge.retention import RETENTION_KEY, forget_old

NOW = dt.datetime(2026, 11, 17, 1, 30, tzinfo=dt.UTC)
OLD = NOW - dt.timedelta(days=91)
RECENT = NOW - dt.timedelta(days=89)


def stored(session, controller, seq, received_at, applied=True, generation=1):
    session.add(
        DeviceEvent(
            controller=controller, generation=generation, seq=seq, boot=1, type="door",
            device_at=received_at, received_at=received_at, data={}, applied=applied,
        )
    )  # fmt: skip


def letter(session, controller, seq, received_at):
    session.add(
        DeadLetter(
            topic=f"lockers/{controller}/evt", payload=b"{}", reason="bad",
            controller=controller, seq=seq, received_at=received_at,
        )
    )  # fmt: skip


def seqs_left(session, controller="C1"):
    return list(
        session.scalars(
            select(DeviceEvent.seq)
            .where(DeviceEvent.controller == controller)
            .order_by(DeviceEvent.seq)
        )
    )


def forget(session):
    with clock.frozen(NOW):
        session.flush()
        return forget_old(session)


def test_applied_events_older_than_their_age_are_deleted(session):
    for seq in (1, 2):
        stored(session, "C1", seq, OLD)
    stored(session, "C1", 3, RECENT)
    assert forget(session)["device_events"] == 2
    assert seqs_left(session) == [3]


def test_an_event_not_yet_applied_stays_whatever_its_age(session):
    stored(session, "C1", 1, OLD, applied=False)
    stored(session, "C1", 2, RECENT)
    forget(session)
    assert seqs_left(session) == [1, 2]


def test_the_newest_event_of_each_controllers_sequence_stays(session):
    for seq in (1, 2):
        stored(session, "C1", seq, OLD)
        stored(session, "C1", seq, OLD, generation=2)
    forget(session)
    assert seqs_left(session) == [2, 2]


def test_dead_letters_older_than_their_age_are_deleted_unless_an_open_gap_counts_them(session):
    session.add(ControllerSequence(controller="C1", contiguous=4, highest=9))
    old = NOW - dt.timedelta(days=181)
    letter(session, "C1", 3, old)
    letter(session, "C1", 6, old)
    letter(session, "C1", 2, NOW - dt.timedelta(days=179))
    assert forget(session)["dead_letters"] == 1
    assert sorted(session.scalars(select(DeadLetter.seq))) == [2, 6]


def test_a_run_deletes_one_batch_oldest_first(session):
    for seq in range(1, 6):
        stored(session, "C1", seq, OLD + dt.timedelta(minutes=seq))
    stored(session, "C1", 6, RECENT)
    session.info[RETENTION_KEY] = RetentionSettings(batch=2)
    assert forget(session)["device_events"] == 2
    assert seqs_left(session) == [3, 4, 5, 6]


def test_events_received_together_go_together(session):
    for seq in range(1, 4):
        stored(session, "C1", seq, OLD)
    stored(session, "C1", 4, RECENT)
    session.info[RETENTION_KEY] = RetentionSettings(batch=2)
    assert forget(session)["device_events"] == 3


def test_the_scheduler_runs_retention_every_minute(connection):
    sessions = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    (job,) = JOBS
    with clock.frozen(NOW):
        assert run_once(sessions, job) == {"device_events": 0, "dead_letters": 0}
    assert job.every == dt.timedelta(minutes=1)

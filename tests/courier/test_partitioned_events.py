"""On PostgreSQL the event tables are partitioned (migration 0029): device events by a hash of
the controller, custody events by month of device time, with every unique rule still held over
all partitions and the append-only guard on each."""

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from core import clock
from courier.custody import EventInput, insert_events, record_event
from courier.jobs import JOBS
from courier.models import Source
from courier.partitions import add_months, month_after
from courier.states import Kind
from firmware_bridge.models import DeviceEvent
from tests import factories
from tests.databases import backend

pytestmark = pytest.mark.skipif(backend() != "postgresql", reason="partitions: PostgreSQL only")

#: A month no migration made a partition for (they make the months around the day they ran).
LATER = dt.datetime(2031, 5, 10, 8, 0, tzinfo=dt.UTC)


def partition_of(session, table, row_id):
    return session.scalar(
        text(f"SELECT tableoid::regclass::text FROM {table} WHERE id = :id"), {"id": row_id}
    )


def partitions(session, table):
    return set(
        session.scalars(
            text(
                "SELECT inhrelid::regclass::text FROM pg_inherits "
                "WHERE inhparent = CAST(:t AS regclass)"
            ),
            {"t": table},
        )
    )


def deposited(session, consignment, key):
    outcome = record_event(
        session,
        consignment,
        EventInput(kind=Kind.DEPOSITED, idempotency_key=key, source=Source.WEB),
    )
    session.flush()
    return outcome.event


def device_event(session, controller, seq):
    row = DeviceEvent(
        controller=controller, seq=seq, boot=1, type="door", device_at=clock.now(), data={},
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def test_device_events_are_spread_over_16_partitions_by_controller(session):
    strategies = dict(
        session.execute(
            text(
                "SELECT partrelid::regclass::text, partstrat FROM pg_partitioned_table "
                "WHERE partrelid IN ('device_events'::regclass, 'custody_events'::regclass)"
            )
        ).all()
    )
    assert strategies == {"device_events": "h", "custody_events": "r"}
    assert len(partitions(session, "device_events")) == 16


def test_one_controllers_events_share_one_partition(session):
    first, second = device_event(session, "C1", 1), device_event(session, "C1", 2)
    where = partition_of(session, "device_events", first.id)
    assert where.startswith("device_events_p")
    assert partition_of(session, "device_events", second.id) == where


def test_a_controllers_seq_stored_twice_is_refused(session):
    device_event(session, "C1", 1)
    refused = pytest.raises(IntegrityError, match="controller_generation_seq")
    with refused, session.begin_nested():
        device_event(session, "C1", 1)


def test_a_custody_event_lands_in_the_partition_of_its_month(session):
    with clock.frozen(LATER):
        add_months(session)
        event = deposited(session, factories.consignment(session), "k1")
    assert partition_of(session, "custody_events", event.id) == "custody_events_2031_05"


def test_an_idempotency_key_used_in_another_month_is_refused(session):
    consignment = factories.consignment(session)
    first = deposited(session, consignment, "once")
    again = {
        "consignment_id": consignment.id, "kind": Kind.DEPOSITED, "source": Source.WEB,
        "device_at": first.device_at - dt.timedelta(days=62), "server_at": first.server_at,
        "idempotency_key": "once", "notes": "", "state_after": first.state_after, "late": False,
    }  # fmt: skip
    refused = pytest.raises(IntegrityError, match="uq_custody_event_keys_idempotency_key")
    with refused, session.begin_nested():
        insert_events(session, [again])


def test_the_database_chooses_every_device_event_id(session):
    taken = device_event(session, "C1", 1).id
    refused = pytest.raises(DBAPIError, match='non-DEFAULT value into column "id"')
    with refused, session.begin_nested():
        session.execute(
            text(
                "INSERT INTO device_events (id, controller, generation, seq, boot, type, "
                "device_at, received_at, data, applied, result) VALUES (:id, 'C2', 1, 1, 1, "
                "'door', now(), now(), '{}', true, '')"
            ),
            {"id": taken},
        )


def test_the_database_chooses_every_custody_event_id(session):
    consignment = factories.consignment(session)
    taken = consignment.events[0].id
    refused = pytest.raises(DBAPIError, match='non-DEFAULT value into column "id"')
    with refused, session.begin_nested():
        session.execute(
            text(
                "INSERT INTO custody_events (id, consignment_id, kind, device_at, server_at, "
                "source, idempotency_key, notes, state_after, late) SELECT id, "
                "consignment_id, kind, device_at, server_at, source, 'other', notes, "
                "state_after, late FROM custody_events WHERE id = :id"
            ),
            {"id": taken},
        )


def test_every_custody_partition_refuses_changes(session):
    event = deposited(session, factories.consignment(session), "k1")
    guarded = set(
        session.scalars(
            text(
                "SELECT tgrelid::regclass::text FROM pg_trigger "
                "WHERE tgname = 'custody_events_append_only' AND tgenabled = 'O'"
            )
        )
    )
    assert partitions(session, "custody_events") <= guarded
    partition = partition_of(session, "custody_events", event.id)
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(text(f"UPDATE {partition} SET notes = 'tampered'"))


def test_the_partition_job_makes_this_month_and_the_next_three_once(session):
    with clock.frozen(LATER):
        made = add_months(session)
        again = add_months(session)
    assert made == [
        f"custody_events_{month}" for month in ("2031_05", "2031_06", "2031_07", "2031_08")
    ]
    assert again == []
    indexes = session.scalar(
        text("SELECT count(*) FROM pg_indexes WHERE tablename = 'custody_events_2031_06'")
    )
    assert indexes == 4
    assert "courier.custody_partitions" in {job.id for job in JOBS}


def test_events_the_default_partition_caught_move_into_their_new_month(session):
    with clock.frozen(LATER):
        consignment = factories.consignment(session)
        older = record_event(
            session,
            consignment,
            EventInput(
                kind=Kind.DEPOSITED, idempotency_key="older", source=Source.WEB,
                device_at=LATER - dt.timedelta(days=150),
            ),
        ).event  # fmt: skip
        event = deposited(session, consignment, "early")
        assert partition_of(session, "custody_events", event.id) == "custody_events_default"
        add_months(session)
    assert partition_of(session, "custody_events", event.id) == "custody_events_2031_05"
    assert partition_of(session, "custody_events", older.id) == "custody_events_default"
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(text("UPDATE custody_events_default SET notes = 'tampered'"))


def test_a_month_starts_on_its_first_day_across_the_year_end():
    assert month_after(dt.date(2031, 11, 1), 3) == dt.date(2032, 2, 1)

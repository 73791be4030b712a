from dataclasses import dataclass

import pytest
from sqlalchemy import Connection, event, func, select
from sqlalchemy.orm import Session

from core.db import after_commit
from core.events import DomainEvent, EventBus
from core.outbox import OutboxMessage, enqueue


@dataclass(frozen=True)
class ItemPublished(DomainEvent):
    code: str


@dataclass(frozen=True)
class UrgentItemPublished(ItemPublished):
    pass


def test_a_handler_receives_the_events_of_its_type(session):
    bus = EventBus()
    seen = []
    bus.subscribe(ItemPublished, lambda _s, event: seen.append(event.code))
    bus.publish(session, ItemPublished("ACAD-001"))
    assert seen == ["ACAD-001"]


def test_a_handler_of_a_base_event_receives_subclass_events(session):
    bus = EventBus()
    seen = []
    bus.subscribe(ItemPublished, lambda _s, event: seen.append(type(event).__name__))
    bus.publish(session, UrgentItemPublished("ACAD-002"))
    assert seen == ["UrgentItemPublished"]


def test_a_handler_writes_to_the_outbox_in_the_callers_transaction(session):
    bus = EventBus()
    bus.subscribe(
        ItemPublished,
        lambda s, event: enqueue(s, "sms", "13800000000", {"code": event.code}, event.code),
    )
    bus.publish(session, ItemPublished("ACAD-003"))
    assert session.scalar(select(OutboxMessage.recipient)) == "13800000000"


def test_queuing_the_same_key_twice_keeps_one_message(session):
    first = enqueue(session, "sms", "138", {"n": 1}, "notice:1")
    second = enqueue(session, "sms", "138", {"n": 2}, "notice:1")
    assert first.id == second.id
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def messages(session):
    return session.scalars(select(OutboxMessage.payload).order_by(OutboxMessage.id)).all()


def test_a_batch_queuing_one_key_twice_keeps_the_first_message(session):
    enqueue(session, "sms", "138", {"n": 1}, "notice:1", flush=False)
    enqueue(session, "sms", "138", {"n": 2}, "notice:1", flush=False)
    assert messages(session) == [{"n": 1}]


def test_a_batch_queuing_a_key_the_table_holds_adds_nothing_at_its_flush(session):
    enqueue(session, "sms", "138", {"n": 1}, "notice:1")
    enqueue(session, "sms", "138", {"n": 2}, "notice:1", flush=False)
    enqueue(session, "sms", "138", {"n": 3}, "notice:2", flush=False)
    session.flush()
    assert messages(session) == [{"n": 1}, {"n": 3}]


def test_a_batch_of_queued_messages_is_written_in_one_statement(session):
    inserts = []

    def keep(_conn, _cursor, statement, *_rest):
        if statement.startswith("INSERT INTO outbox_messages"):
            inserts.append(statement)

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", keep)
    try:
        for n in range(20):
            enqueue(session, "sms", "138", {"n": n}, f"receipt:{n}", flush=False)
        session.flush()
    finally:
        event.remove(connection, "before_cursor_execute", keep)
    assert len(inserts) == 1
    assert messages(session) == [{"n": n} for n in range(20)]


def test_a_batch_message_undone_with_its_savepoint_can_be_queued_again(session):
    with session.begin_nested() as savepoint:
        enqueue(session, "sms", "138", {"n": 1}, "notice:1", flush=False)
        savepoint.rollback()
    enqueue(session, "sms", "138", {"n": 2}, "notice:1", flush=False)
    assert messages(session) == [{"n": 2}]


def test_an_outbox_row_vanishes_with_a_rolled_back_transaction(connection: Connection):
    with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
        enqueue(session, "sms", "138", {"n": 1}, "notice:rollback")
        session.rollback()
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_after_commit_callbacks_run_only_after_commit(connection: Connection):
    ran = []
    with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
        after_commit(session, lambda: ran.append("committed"))
        assert ran == []
        session.commit()
    assert ran == ["committed"]


def test_after_commit_callbacks_are_dropped_on_rollback(connection: Connection):
    ran = []
    with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
        after_commit(session, lambda: ran.append("committed"))
        session.rollback()
        session.commit()
    assert ran == []


@pytest.mark.parametrize("payload", [{"text": "您的材料已送达南湖校区"}, {"n": [1, 2]}])
def test_outbox_payloads_round_trip_as_json(session, payload):
    enqueue(session, "wechat", "openid", payload, f"k:{payload!r}")
    session.expire_all()
    assert session.scalar(select(OutboxMessage.payload)) == payload

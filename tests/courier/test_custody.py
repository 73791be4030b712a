import datetime as dt

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from courier.custody import EventInput, record_event
from courier.models import CustodyEvent, Source
from courier.photos import BadPhoto, store_photo
from courier.states import Kind, State
from tests import factories


def event(kind, key, at=None, **fields):
    return EventInput(kind=kind, idempotency_key=key, source=Source.WEB, device_at=at, **fields)


def events_of(session, consignment):
    return session.scalar(select(func.count()).where(CustodyEvent.consignment_id == consignment.id))


def test_an_event_moves_the_state(session):
    consignment = factories.consignment(session)
    outcome = record_event(session, consignment, event(Kind.DEPOSITED, "k1"))
    assert outcome.ok
    assert consignment.state == State.DEPOSITED


def test_a_repeated_event_is_a_no_op_that_returns_the_first_result(session):
    consignment = factories.consignment(session)
    first = record_event(session, consignment, event(Kind.DEPOSITED, "k1"))
    session.flush()
    again = record_event(session, consignment, event(Kind.DEPOSITED, "k1"))
    assert again.duplicate
    assert again.event.id == first.event.id
    assert events_of(session, consignment) == 2


def test_an_impossible_event_is_refused_and_stores_nothing(session):
    consignment = factories.consignment(session)
    outcome = record_event(session, consignment, event(Kind.SORTED, "k1"))
    assert not outcome.ok
    assert outcome.reason_code == "out_of_order"
    assert consignment.state == State.CREATED
    session.flush()
    assert events_of(session, consignment) == 1


def test_a_late_event_is_stored_in_order_and_keeps_the_state(session, frozen_clock):
    consignment = factories.consignment(session)
    now = frozen_clock.now()
    frozen_clock.advance(dt.timedelta(hours=1))
    record_event(session, consignment, event(Kind.DEPOSITED, "d", now + dt.timedelta(minutes=5)))
    record_event(session, consignment, event(Kind.COLLECTED, "c", now + dt.timedelta(minutes=30)))
    late = record_event(
        session, consignment, event(Kind.DEPOSITED, "late", now + dt.timedelta(minutes=10))
    )
    assert late.ok
    assert late.late
    assert consignment.state == State.COLLECTED
    session.flush()
    session.expire(consignment)
    assert [e.idempotency_key for e in consignment.events] == [
        f"created:{consignment.tracking_code}",
        "d",
        "late",
        "c",
    ]


def test_a_damaged_envelope_needs_a_photo(session):
    consignment = factories.consignment(session)
    record_event(session, consignment, event(Kind.DEPOSITED, "d"))
    outcome = record_event(session, consignment, event(Kind.DAMAGED, "x"))
    assert outcome.reason_code == "photo_required"


def test_a_damaged_envelope_with_a_photo_is_flagged_and_keeps_its_state(session, jpeg):
    consignment = factories.consignment(session)
    record_event(session, consignment, event(Kind.DEPOSITED, "d"))
    photo = store_photo(session, jpeg, None)
    outcome = record_event(session, consignment, event(Kind.DAMAGED, "x", photo=photo))
    assert outcome.ok
    assert consignment.damaged
    assert consignment.state == State.DEPOSITED


def test_unloading_at_the_wrong_campus_marks_it_misrouted(session):
    consignment = factories.consignment(session, origin="NH", department_campus="XL")
    wrong = factories.location(session, "DJ-STOP", "DJ")
    for kind in (Kind.DEPOSITED, Kind.COLLECTED, Kind.LOADED):
        record_event(session, consignment, event(kind, kind))
    outcome = record_event(session, consignment, event(Kind.UNLOADED, "u", location=wrong))
    assert outcome.reason_code == "misrouted"
    assert consignment.state == State.MISROUTED


def test_returning_to_sender_sends_it_back_to_the_submitter(session):
    consignment = factories.consignment(
        session, recipient_name="李四", recipient_phone="13912345678"
    )
    for kind in (Kind.DEPOSITED, Kind.COLLECTED):
        record_event(session, consignment, event(kind, kind))
    record_event(session, consignment, event(Kind.RETURNED_TO_SENDER, "r"))
    assert consignment.recipient_user_id == consignment.submitter_id
    assert consignment.pickup_campus_id == consignment.origin_campus_id


def test_custody_events_cannot_be_changed(session):
    consignment = factories.consignment(session)
    first = consignment.events[0]
    first.notes = "tampered"
    with pytest.raises(RuntimeError, match="append-only"):
        session.flush()


def test_the_database_refuses_to_change_custody_events(session):
    factories.consignment(session)
    with pytest.raises(DBAPIError):
        session.execute(text("UPDATE custody_events SET notes = 'tampered'"))


def test_a_text_file_is_not_a_photo(session):
    with pytest.raises(BadPhoto) as caught:
        store_photo(session, b"just text", None)
    assert caught.value.code == "not_an_image"


def test_a_huge_photo_is_refused(session):
    with pytest.raises(BadPhoto) as caught:
        store_photo(session, b"\xff" * (9 * 1024 * 1024), None)
    assert caught.value.code == "photo_too_large"


def test_a_phone_clock_a_little_behind_still_moves_the_state(session, frozen_clock):
    consignment = factories.consignment(session)
    behind = frozen_clock.now() - dt.timedelta(minutes=2)
    outcome = record_event(session, consignment, event(Kind.DEPOSITED, "d", behind))
    assert not outcome.late
    assert consignment.state == State.DEPOSITED


def test_a_device_time_in_the_future_is_taken_as_now(session, frozen_clock):
    consignment = factories.consignment(session)
    future = frozen_clock.now() + dt.timedelta(days=1)
    outcome = record_event(session, consignment, event(Kind.DEPOSITED, "d", future))
    assert outcome.event.device_at == frozen_clock.now()

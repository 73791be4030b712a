"""A batch's rows are written together at its end: each scan still gets its own answer and row."""

import datetime as dt
import uuid

from sqlalchemy import func, select

from core.users import Role
from courier.models import CustodyEvent, ScanRecord, Source
from courier.scans import Scan, process_scans
from courier.states import State
from tests import factories
from tests.factories import LABEL_KEY


def scan(code, kind, **fields):
    return Scan(id=str(uuid.uuid4()), code=code, kind=kind, **fields)


def courier(session):
    return factories.user(session, None, Role.COURIER)


def scan_events(session, consignment):
    return list(
        session.scalars(
            select(CustodyEvent)
            .where(
                CustodyEvent.consignment_id == consignment.id,
                CustodyEvent.source == Source.SCAN,
            )
            .order_by(CustodyEvent.id)
        )
    )


def test_a_scan_id_twice_in_one_batch_is_applied_once_and_answered_alike(session):
    consignment = factories.consignment(session)
    twice = scan(consignment.tracking_code, "deposit")
    first, again = process_scans(session, courier(session), [twice, twice], LABEL_KEY)
    assert first == again
    assert (first.ok, first.state) == (True, State.DEPOSITED)
    assert session.scalar(select(func.count()).select_from(ScanRecord)) == 1
    assert [event.idempotency_key for event in scan_events(session, consignment)] == [
        f"scan:{twice.id}"
    ]


def test_a_late_scan_amid_fresh_ones_is_logged_late_while_the_others_move_on(session, frozen_clock):
    behind, fresh = factories.consignment(session), factories.consignment(session)
    user = courier(session)
    start = frozen_clock.now()
    frozen_clock.advance(dt.timedelta(hours=1))
    for kind, minutes in (("deposit", 1), ("collect", 30)):
        process_scans(
            session,
            user,
            [scan(behind.tracking_code, kind, at=start + dt.timedelta(minutes=minutes))],
            LABEL_KEY,
        )
    late, deposited, collected = process_scans(
        session,
        user,
        [
            scan(behind.tracking_code, "deposit", at=start + dt.timedelta(minutes=10)),
            scan(fresh.tracking_code, "deposit"),
            scan(fresh.tracking_code, "collect"),
        ],
        LABEL_KEY,
    )
    assert (late.ok, late.reason_code, late.state) == (True, "late", State.COLLECTED)
    assert [deposited.state, collected.state] == [State.DEPOSITED, State.COLLECTED]
    assert [(e.late, e.state_after) for e in scan_events(session, behind)][-1] == (
        True,
        State.COLLECTED,
    )
    assert [(e.late, e.state_after) for e in scan_events(session, fresh)] == [
        (False, State.DEPOSITED),
        (False, State.COLLECTED),
    ]


def test_a_refused_scan_amid_accepted_ones_keeps_every_answer_and_logs_only_the_accepted(
    session,
):
    waiting, moving = factories.consignment(session), factories.consignment(session)
    results = process_scans(
        session,
        courier(session),
        [
            scan(moving.tracking_code, "deposit"),
            scan(waiting.tracking_code, "sort"),
            scan("ABCDEFGHJKMNP", "collect"),
            scan(moving.tracking_code, "collect"),
        ],
        LABEL_KEY,
    )
    assert [(r.ok, r.reason_code, r.state) for r in results] == [
        (True, None, State.DEPOSITED),
        (False, "out_of_order", State.CREATED),
        (False, "forged", None),
        (True, None, State.COLLECTED),
    ]
    assert scan_events(session, waiting) == []
    assert [event.state_after for event in scan_events(session, moving)] == [
        State.DEPOSITED,
        State.COLLECTED,
    ]
    logged = session.scalars(select(ScanRecord.reason_code).order_by(ScanRecord.id)).all()
    assert logged == [None, "out_of_order", "forged", None]

import datetime as dt
import uuid

from sqlalchemy import func, select

from core.users import Role
from courier.models import CustodyEvent, ScanRecord
from courier.scans import Scan, process_scans
from courier.states import State
from tests import factories
from tests.factories import LABEL_KEY


def scan(code, kind, **fields):
    return Scan(id=str(uuid.uuid4()), code=code, kind=kind, **fields)


def courier(session):
    return factories.user(session, None, Role.COURIER)


def test_a_batch_of_scans_moves_a_consignment_along(session):
    consignment = factories.consignment(session)
    code = consignment.tracking_code
    results = process_scans(
        session,
        courier(session),
        [scan(code, "deposit"), scan(code, "collect"), scan(code, "load")],
        LABEL_KEY,
    )
    assert [r.state for r in results] == ["deposited", "collected", "in_transit"]
    assert all(r.ok for r in results)


def test_the_qr_text_of_a_label_is_accepted(session):
    consignment = factories.consignment(session)
    qr = f"https://courier.example.edu/t/{consignment.tracking_code}"
    [result] = process_scans(session, courier(session), [scan(qr, "deposit")], LABEL_KEY)
    assert (result.ok, result.tracking_code, result.state) == (
        True,
        consignment.tracking_code,
        "deposited",
    )


def test_a_repeated_scan_id_returns_the_first_result(session):
    consignment = factories.consignment(session)
    user = courier(session)
    first = scan(consignment.tracking_code, "deposit")
    process_scans(session, user, [first], LABEL_KEY)
    again = process_scans(session, user, [first, first], LABEL_KEY)
    assert [r.ok for r in again] == [True, True]
    assert session.scalar(select(func.count()).select_from(ScanRecord)) == 1
    assert session.scalar(select(func.count()).select_from(CustodyEvent)) == 2


def test_a_forged_code_is_refused_and_recorded(session):
    [result] = process_scans(
        session, courier(session), [scan("ABCDEFGHJKMNP", "collect")], LABEL_KEY
    )
    assert not result.ok
    assert result.reason_code == "forged"
    assert session.scalar(select(ScanRecord.reason_code)) == "forged"


def test_an_out_of_order_scan_is_refused_with_the_reason_and_changes_nothing(session):
    consignment = factories.consignment(session)
    [result] = process_scans(
        session, courier(session), [scan(consignment.tracking_code, "sort")], LABEL_KEY
    )
    assert not result.ok
    assert result.reason_code == "out_of_order"
    assert result.params["state"] == "created"
    assert consignment.state == State.CREATED


def test_a_scan_after_pickup_says_when_it_was_picked_up(session, frozen_clock):
    consignment = factories.consignment(session)
    consignment.state = State.PICKED_UP
    [result] = process_scans(
        session, courier(session), [scan(consignment.tracking_code, "collect")], LABEL_KEY
    )
    assert result.reason_code == "picked_up"
    assert result.params["when"].startswith("2026-11-17")


def test_an_unknown_kind_is_refused(session):
    consignment = factories.consignment(session)
    [result] = process_scans(
        session, courier(session), [scan(consignment.tracking_code, "teleport")], LABEL_KEY
    )
    assert result.reason_code == "unknown_kind"


def test_an_unknown_place_is_refused(session):
    consignment = factories.consignment(session)
    [result] = process_scans(
        session,
        courier(session),
        [scan(consignment.tracking_code, "deposit", location="NOWHERE")],
        LABEL_KEY,
    )
    assert result.reason_code == "unknown_location"


def test_without_a_place_the_couriers_last_place_is_used(session):
    consignment = factories.consignment(session, origin="NH", department_campus="XL")
    stop = factories.location(session, "XL-STOP", "XL")
    user = courier(session)
    other = factories.consignment(session)
    code = consignment.tracking_code
    process_scans(
        session, user, [scan(other.tracking_code, "deposit", location="XL-STOP")], LABEL_KEY
    )
    for kind in ("deposit", "collect", "load"):
        process_scans(session, user, [scan(code, kind, location="XL-STOP")], LABEL_KEY)
    [result] = process_scans(session, user, [scan(code, "unload")], LABEL_KEY)
    assert result.state == "arrived"
    last = session.scalar(select(CustodyEvent).order_by(CustodyEvent.id.desc()).limit(1))
    assert last.location_id == stop.id


def test_a_late_scan_from_an_offline_phone_is_kept_without_moving_the_state_back(
    session, frozen_clock
):
    consignment = factories.consignment(session)
    code = consignment.tracking_code
    user = courier(session)
    now = frozen_clock.now()
    frozen_clock.advance(dt.timedelta(hours=1))
    process_scans(
        session, user, [scan(code, "deposit", at=now + dt.timedelta(minutes=1))], LABEL_KEY
    )
    process_scans(
        session, user, [scan(code, "collect", at=now + dt.timedelta(minutes=30))], LABEL_KEY
    )
    [late] = process_scans(
        session, user, [scan(code, "deposit", at=now + dt.timedelta(minutes=10))], LABEL_KEY
    )
    assert late.ok
    assert late.reason_code == "late"
    assert consignment.state == State.COLLECTED


def test_scanning_the_same_hop_again_is_already_done_and_stores_nothing(session):
    consignment = factories.consignment(session)
    user = courier(session)
    process_scans(session, user, [scan(consignment.tracking_code, "deposit")], LABEL_KEY)
    [again] = process_scans(session, user, [scan(consignment.tracking_code, "deposit")], LABEL_KEY)
    assert again.ok
    assert again.reason_code == "already"
    assert session.scalar(select(func.count()).select_from(CustodyEvent)) == 2

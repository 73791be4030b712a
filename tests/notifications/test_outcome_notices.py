"""How a request ended reaches the submitter (and the recipient), in their language."""

import datetime as dt

import pytest
from sqlalchemy import select

from core.errors import ValidationFailed
from core.events import publish
from core.outbox import OutboxMessage
from core.users import Role
from courier.events import HopRecorded
from courier.states import Kind, State
from services import consignments
from tests import factories


def notices(session, template):
    session.flush()
    rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    return [r for r in rows if r.payload.get("template") == template]


@pytest.fixture
def at_department(session):
    clerk = factories.user(session, "outcome_clerk", Role.CLERK)
    consignment = factories.consignment(session, origin="NH", department_campus="NH")
    consignment.submitter.phone = "+8613800000777"
    consignment.state = State.AT_DEPARTMENT
    return clerk, consignment


def test_a_rejection_without_a_reason_is_refused(session, at_department):
    clerk, consignment = at_department
    with pytest.raises(ValidationFailed):
        consignments.record(session, clerk, consignment, Kind.REJECTED, "api:r1")


def test_the_submitter_is_told_of_a_rejection_with_its_reason(session, at_department):
    clerk, consignment = at_department
    consignments.record(session, clerk, consignment, Kind.REJECTED, "api:r2", notes="缺少院系盖章")
    (notice,) = notices(session, "outcome_rejected")
    assert notice.payload["text"].endswith(
        f"{consignment.tracking_code} 不予办理，原因：缺少院系盖章"
    )


def test_the_submitter_hears_who_collected_a_result_for_someone_else(session, at_department):
    _clerk, consignment = at_department
    consignment.recipient_user_id = None
    consignment.recipient_name = "王老师"
    publish(
        session,
        HopRecorded(
            consignment_id=consignment.id,
            tracking_code=consignment.tracking_code,
            kind=Kind.PICKED_UP,
            state=State.PICKED_UP,
            at=dt.datetime(2026, 11, 18, 2, 5, tzinfo=dt.UTC),
            late=False,
        ),
    )
    (notice,) = notices(session, "outcome_collected")
    assert "11月18日 10:05" in notice.payload["text"]
    assert "由王老师取走" in notice.payload["text"]


def test_after_a_colleague_collected_the_submitter_is_told_their_name(session, frozen_clock):
    from courier.models import Source
    from lockers.compartments import add_bank, place_for_pickup
    from lockers.models import BankKind, Size
    from lockers.pickups import pickup
    from services.pickups import let_colleague_collect
    from tests.lockers.test_lockers import ready_for_pickup

    place = factories.location(session, "NH-LOCKER-1", "NH", kind="locker_site")
    bank = add_bank(session, "NH-PU-01", "南湖取件柜", BankKind.PICKUP, place, [Size.S])
    consignment = ready_for_pickup(
        session, factories.consignment(session, origin="NH", department_campus="NH")
    )
    consignment.submitter.phone = "+8613800000778"
    placed = place_for_pickup(session, consignment, bank, actor=None, key="p1")
    let_colleague_collect(
        session, consignment.submitter, consignment, name="王同事", phone="13900000902"
    )
    pickup(session, placed.compartment, key="mqtt:1", source=Source.MQTT)
    (notice,) = notices(session, "outcome_collected")
    assert notice.recipient == "+8613800000778"
    assert "由王同事取走" in notice.payload["text"]
    assert consignment.collected_by == "王同事"

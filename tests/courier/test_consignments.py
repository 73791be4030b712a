import datetime as dt

import pytest
from sqlalchemy import select

from catalog.items import retire_item
from catalog.models import Affiliation
from core import codes
from core.errors import DomainError, NotFound, ValidationFailed
from courier.consignments import (
    NewConsignment,
    consignments_of,
    create_consignment,
    find_consignment,
)
from courier.models import CustodyEvent
from courier.states import Kind, State
from tests import factories
from tests.conftest import NOW
from tests.factories import LABEL_KEY


def test_a_new_consignment_is_created_with_a_signed_code_and_a_first_event(session, frozen_clock):
    consignment = factories.consignment(session)
    assert codes.verify(consignment.tracking_code, LABEL_KEY) == consignment.tracking_code
    assert consignment.state == State.CREATED
    events = session.scalars(select(CustodyEvent)).all()
    assert [e.kind for e in events] == [Kind.CREATED]


def test_the_due_time_counts_working_days_from_submission(session, frozen_clock):
    consignment = factories.consignment(session, time_limit_days=3)
    # Submitted Tuesday 2026-11-17 09:30: due at the close of Friday.
    assert consignment.due_at.astimezone(NOW.tzinfo) == dt.datetime(
        2026, 11, 20, 17, 30, tzinfo=NOW.tzinfo
    )
    assert not consignment.due_provisional


def test_the_pickup_campus_defaults_to_the_origin(session):
    consignment = factories.consignment(session, origin="NH")
    assert consignment.pickup_campus.code == "NH"


def test_the_destination_is_the_items_department(session):
    consignment = factories.consignment(session, department_campus="XL")
    assert consignment.department.code == "DXL"


def test_the_submitter_receives_by_default(session):
    teacher = factories.user(session, "wang", phone="13800000002")
    consignment = factories.consignment(session, submitter=teacher)
    assert (consignment.recipient_user_id, consignment.recipient_phone) == (
        teacher.id,
        "13800000002",
    )


def test_another_recipient_needs_a_phone_number(session):
    with pytest.raises(ValidationFailed) as caught:
        factories.consignment(session, recipient_name="李四", recipient_phone="")
    assert caught.value.problems[0].field == "recipient"


def test_another_recipient_is_kept(session):
    consignment = factories.consignment(
        session, recipient_name="李四", recipient_phone="13912345678"
    )
    assert (consignment.recipient_name, consignment.recipient_user_id) == ("李四", None)


def test_the_origin_campus_comes_from_the_submitters_affiliation(session):
    teacher = factories.user(session, "wang")
    xl = factories.campus(session, "XL")
    session.add(Affiliation(user_id=teacher.id, campus_id=xl.id))
    first = factories.consignment(session)  # sets up the item
    consignment = create_consignment(
        session,
        teacher,
        NewConsignment(service_item=first.service_item.code),
        LABEL_KEY,
    )
    assert consignment.origin_campus.code == "XL"


def test_without_an_origin_campus_the_submitter_is_asked_for_one(session):
    first = factories.consignment(session)
    with pytest.raises(ValidationFailed):
        create_consignment(
            session,
            factories.user(session),
            NewConsignment(service_item=first.service_item.code),
            LABEL_KEY,
        )


def test_a_retired_service_item_is_refused(session):
    first = factories.consignment(session)
    retire_item(session, first.service_item.code)
    with pytest.raises(DomainError) as caught:
        create_consignment(
            session,
            first.submitter,
            NewConsignment(service_item=first.service_item.code, origin_campus="NH"),
            LABEL_KEY,
        )
    assert caught.value.code == "item_not_offered"


def test_an_item_the_courier_cannot_carry_is_refused(session):
    factories.campus(session, "NH")
    online = factories.item(session, channels=["online"])
    with pytest.raises(DomainError) as caught:
        create_consignment(
            session,
            factories.user(session),
            NewConsignment(service_item=online.code, origin_campus="NH"),
            LABEL_KEY,
        )
    assert caught.value.code == "proxy_not_allowed"


def test_a_consignment_is_found_by_its_grouped_code(session):
    consignment = factories.consignment(session)
    found = find_consignment(session, codes.grouped(consignment.tracking_code), LABEL_KEY)
    assert found.id == consignment.id


def test_a_forged_code_is_refused_without_a_lookup(session):
    with pytest.raises(NotFound) as caught:
        find_consignment(session, "ABCDEFGHJKMNP", LABEL_KEY)
    assert caught.value.code == "unknown_code"


def test_my_consignments_lists_sent_and_received(session):
    teacher = factories.user(session, "wang")
    sent = factories.consignment(session, submitter=teacher)
    other = factories.consignment(session)
    assert [c.id for c in consignments_of(session, teacher)] == [sent.id]
    assert other.id not in [c.id for c in consignments_of(session, teacher)]

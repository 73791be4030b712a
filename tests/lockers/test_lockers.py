import datetime as dt

import pytest
from sqlalchemy import select

from core.errors import Conflict
from courier.models import Source
from courier.states import State
from lockers import pickup_codes
from lockers.compartments import add_bank, allocate, compartment, place_for_pickup
from lockers.models import Alert, AlertKind, BankKind, CompartmentState, PickupCode, Size
from lockers.pickups import deposit, pickup
from tests import factories
from tests.factories import LABEL_KEY


@pytest.fixture
def pickup_bank(session):
    place = factories.location(session, "NH-LOCKER-1", "NH", kind="locker_site")
    return add_bank(
        session, "NH-PU-01", "南湖取件柜", BankKind.PICKUP, place, [Size.L, Size.S, Size.M, Size.S]
    )


@pytest.fixture
def drop_box(session):
    place = factories.location(session, "NH-LOCKER-2", "NH", kind="locker_site")
    return add_bank(session, "NH-DB-01", "南湖投递柜", BankKind.DROP_BOX, place, [Size.M] * 4)


def ready_for_pickup(session, consignment):
    """Walk a same-campus consignment to result ready."""
    consignment.state = State.RESULT_READY
    consignment.leg = "return"
    return consignment


def test_allocation_takes_the_smallest_compartment_that_fits(session, pickup_bank):
    assert allocate(session, pickup_bank, Size.S).number == 2
    assert allocate(session, pickup_bank, Size.S).number == 4
    assert allocate(session, pickup_bank, Size.S).number == 3
    assert allocate(session, pickup_bank, Size.M).number == 1


def test_a_full_bank_refuses_with_a_reason(session, pickup_bank):
    for _ in range(4):
        allocate(session, pickup_bank, Size.S)
    with pytest.raises(Conflict) as caught:
        allocate(session, pickup_bank, Size.S)
    assert caught.value.code == "locker_full"


def test_an_expired_reservation_frees_the_compartment(session, pickup_bank, frozen_clock):
    first = allocate(session, pickup_bank, Size.L)
    frozen_clock.advance(dt.timedelta(hours=1))
    assert allocate(session, pickup_bank, Size.L).id == first.id


def test_placing_a_result_issues_a_six_digit_code_stored_only_as_a_hash(session, pickup_bank):
    consignment = ready_for_pickup(
        session, factories.consignment(session, origin="NH", department_campus="NH")
    )
    placement = place_for_pickup(session, consignment, pickup_bank, actor=None, key="p1")
    assert len(placement.digits) == 6
    assert placement.digits.isdigit()
    stored = session.scalar(select(PickupCode))
    assert placement.digits not in (stored.code_hash, stored.salt)
    assert consignment.state == State.AWAITING_PICKUP
    assert placement.compartment.state == CompartmentState.OCCUPIED


def test_the_right_code_picks_up_and_frees_the_compartment(session, pickup_bank):
    consignment = ready_for_pickup(
        session, factories.consignment(session, origin="NH", department_campus="NH")
    )
    placement = place_for_pickup(session, consignment, pickup_bank, actor=None, key="p1")
    result = pickup(session, placement.compartment, key="u1", source=Source.WEB,
                    digits=placement.digits)  # fmt: skip
    assert result.ok
    assert consignment.state == State.PICKED_UP
    assert placement.compartment.state == CompartmentState.FREE
    assert session.scalar(select(PickupCode.used_at)) is not None


def test_a_code_works_only_once(session, pickup_bank):
    consignment = ready_for_pickup(
        session, factories.consignment(session, origin="NH", department_campus="NH")
    )
    placement = place_for_pickup(session, consignment, pickup_bank, actor=None, key="p1")
    pickup(session, placement.compartment, key="u1", source=Source.WEB, digits=placement.digits)
    again = pickup(session, placement.compartment, key="u2", source=Source.WEB,
                   digits=placement.digits)  # fmt: skip
    assert not again.ok
    assert again.reason_code == "wrong_code"


def test_an_expired_code_is_refused(session, pickup_bank, frozen_clock):
    consignment = ready_for_pickup(
        session, factories.consignment(session, origin="NH", department_campus="NH")
    )
    placement = place_for_pickup(session, consignment, pickup_bank, actor=None, key="p1")
    frozen_clock.advance(pickup_codes.DEFAULT_VALIDITY + dt.timedelta(minutes=1))
    result = pickup(session, placement.compartment, key="u1", source=Source.WEB,
                    digits=placement.digits)  # fmt: skip
    assert result.reason_code == "wrong_code"


def test_five_wrong_codes_lock_the_compartment_and_alert(session, pickup_bank, frozen_clock):
    consignment = ready_for_pickup(
        session, factories.consignment(session, origin="NH", department_campus="NH")
    )
    placement = place_for_pickup(session, consignment, pickup_bank, actor=None, key="p1")
    wrong = "000000" if placement.digits != "000000" else "111111"
    results = [
        pickup(session, placement.compartment, key=f"w{n}", source=Source.WEB, digits=wrong)
        for n in range(5)
    ]
    assert [r.reason_code for r in results] == ["wrong_code"] * 4 + ["locked"]
    locked = pickup(session, placement.compartment, key="r", source=Source.WEB,
                    digits=placement.digits)  # fmt: skip
    assert locked.reason_code == "locked"
    assert session.scalar(select(Alert.kind)) == AlertKind.LOCKOUT
    frozen_clock.advance(pickup_codes.LOCKOUT + dt.timedelta(seconds=1))
    assert pickup(session, placement.compartment, key="ok", source=Source.WEB,
                  digits=placement.digits).ok  # fmt: skip


def test_a_pickup_the_controller_verified_offline_is_accepted(session, pickup_bank):
    consignment = ready_for_pickup(
        session, factories.consignment(session, origin="NH", department_campus="NH")
    )
    placement = place_for_pickup(session, consignment, pickup_bank, actor=None, key="p1")
    result = pickup(session, placement.compartment, key="m1", source=Source.MQTT,
                    verified_by_controller=True)  # fmt: skip
    assert result.ok
    assert consignment.state == State.PICKED_UP


def test_a_deposit_with_a_scanned_label_records_the_consignment(session, drop_box):
    consignment = factories.consignment(session, origin="NH", department_campus="XL")
    item = compartment(session, drop_box, 2)
    result = deposit(session, item, consignment.tracking_code, key="d1",
                     label_key=LABEL_KEY)  # fmt: skip
    assert result.ok
    assert consignment.state == State.DEPOSITED
    assert item.consignment_id == consignment.id


def test_a_deposit_without_a_label_alerts_and_keeps_the_compartment_occupied(session, drop_box):
    item = compartment(session, drop_box, 1)
    result = deposit(session, item, None, key="d1", label_key=LABEL_KEY)
    assert result.reason_code == "no_label"
    assert item.state == CompartmentState.OCCUPIED
    assert session.scalar(select(Alert.kind)) == AlertKind.FAULT


def test_the_same_placement_sent_twice_fills_one_compartment_with_one_code(session, pickup_bank):
    consignment = ready_for_pickup(
        session, factories.consignment(session, origin="NH", department_campus="NH")
    )
    first = place_for_pickup(session, consignment, pickup_bank, actor=None, key="twice")
    again = place_for_pickup(session, consignment, pickup_bank, actor=None, key="twice")
    assert again.compartment.id == first.compartment.id
    assert again.outcome.duplicate
    assert again.digits == ""
    occupied = [c for c in pickup_bank.compartments if c.state == CompartmentState.OCCUPIED]
    assert occupied == [first.compartment]
    assert len(session.scalars(select(PickupCode)).all()) == 1

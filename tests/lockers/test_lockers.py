import datetime as dt
import hmac
import re

import pytest
from sqlalchemy import func, select

from core import clock
from core.codes import controller_key, pickup_digits
from core.errors import Conflict
from courier.models import Source
from courier.states import State
from firmware_bridge.models import Command
from lockers import keypad_lock, pickup_codes
from lockers.compartments import add_bank, allocate, compartment, place_for_pickup
from lockers.models import (
    Alert,
    AlertKind,
    BankKind,
    CodeTry,
    CompartmentState,
    PickupCode,
    Size,
)
from lockers.pickups import deposit, pickup
from services.kiosk import Answer, try_code
from tests import factories
from tests.conftest import CODE_KEY
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


def test_placing_a_result_issues_a_six_digit_code_stored_only_as_a_keyed_hash(session, pickup_bank):
    consignment = ready_for_pickup(
        session, factories.consignment(session, origin="NH", department_campus="NH")
    )
    placement = place_for_pickup(session, consignment, pickup_bank, actor=None, key="p1")
    stored = session.scalar(select(PickupCode))
    assert re.fullmatch(r"\d{6}", placement.digits)
    assert (
        stored.code_hash
        == hmac.new(
            bytes.fromhex(controller_key(CODE_KEY, "NH-PU-01")), placement.digits.encode(), "sha256"
        ).hexdigest()
    )


def test_only_the_server_key_turns_a_stored_code_back_into_its_digits(session, pickup_bank):
    consignment = ready_for_pickup(
        session, factories.consignment(session, origin="NH", department_campus="NH")
    )
    placement = place_for_pickup(session, consignment, pickup_bank, actor=None, key="p1")
    stored = session.scalar(select(PickupCode))
    assert pickup_codes.digits_of(session, stored) == placement.digits
    assert pickup_digits("a key found elsewhere", stored.nonce) != placement.digits


def test_the_right_code_on_the_kiosk_opens_its_compartment(session, pickup_bank):
    consignment = ready_for_pickup(
        session, factories.consignment(session, origin="NH", department_campus="NH")
    )
    placement = place_for_pickup(session, consignment, pickup_bank, actor=None, key="p1")
    answer = try_code(session, pickup_bank, placement.digits, "10.0.0.9")
    command = session.scalar(select(Command).where(Command.cmd_id == answer.command_id))
    assert (answer.answer, command.op, command.args) == (
        Answer.OPENING,
        "open",
        {"compartment": placement.compartment.number, "for": "pickup"},
    )


def test_the_pickup_the_controller_reports_uses_the_code_and_frees_the_compartment(
    session, pickup_bank
):
    consignment = ready_for_pickup(
        session, factories.consignment(session, origin="NH", department_campus="NH")
    )
    placement = place_for_pickup(session, consignment, pickup_bank, actor=None, key="p1")
    result = pickup(session, placement.compartment, key="m1", source=Source.MQTT)
    assert (result.ok, consignment.state, placement.compartment.state) == (
        True,
        State.PICKED_UP,
        CompartmentState.FREE,
    )
    assert pickup_codes.find_code(session, pickup_bank, placement.digits) is None


def test_a_wrong_code_says_how_many_tries_are_left(session, pickup_bank):
    answer = try_code(session, pickup_bank, "000000", "10.0.0.9")
    assert (answer.answer, answer.tries_left) == (Answer.WRONG, 4)


def test_no_typed_digits_are_stored_or_sent(session, pickup_bank):
    try_code(session, pickup_bank, "314159", "10.0.0.9")
    rows = [str(c.args) for c in session.scalars(select(Command))]
    rows += [str(vars(t)) for t in session.scalars(select(CodeTry))]
    assert not [row for row in rows if "314159" in row]


def test_an_expired_code_is_wrong(session, pickup_bank, frozen_clock):
    consignment = ready_for_pickup(
        session, factories.consignment(session, origin="NH", department_campus="NH")
    )
    placement = place_for_pickup(session, consignment, pickup_bank, actor=None, key="p1")
    frozen_clock.advance(dt.timedelta(hours=73))
    assert try_code(session, pickup_bank, placement.digits, "10.0.0.9").answer is Answer.WRONG


def test_five_wrong_codes_lock_the_bank_with_one_alert_and_tell_the_controller(
    session, pickup_bank, frozen_clock
):
    for n in range(7):
        try_code(session, pickup_bank, f"{n:06d}", f"10.0.0.{n}")
    alerts = session.scalars(select(Alert.kind)).all()
    lockouts = session.scalars(select(Command.op).where(Command.op == "lockout")).all()
    assert (alerts, lockouts) == ([AlertKind.LOCKOUT], ["lockout"])


def test_a_right_code_during_a_lockout_does_not_open(session, pickup_bank, frozen_clock):
    consignment = ready_for_pickup(
        session, factories.consignment(session, origin="NH", department_campus="NH")
    )
    placement = place_for_pickup(session, consignment, pickup_bank, actor=None, key="p1")
    for n in range(5):
        try_code(session, pickup_bank, f"9{n:05d}", f"10.0.0.{n}")
    answer = try_code(session, pickup_bank, placement.digits, "10.0.0.99")
    assert answer.answer is Answer.LOCKED
    assert session.scalar(select(Command).where(Command.op == "open")) is None


def test_the_lockout_ends_and_the_next_one_lasts_twice_as_long(session, pickup_bank, frozen_clock):
    for n in range(5):
        try_code(session, pickup_bank, f"9{n:05d}", "10.0.0.1")
    first = pickup_bank.keypad_locked_until - clock.now()
    frozen_clock.advance(first + dt.timedelta(seconds=1))
    for n in range(5):
        try_code(session, pickup_bank, f"8{n:05d}", "10.0.0.2")
    assert (first, pickup_bank.keypad_locked_until - clock.now()) == (
        dt.timedelta(minutes=15),
        dt.timedelta(minutes=30),
    )


def test_five_wrong_codes_from_one_address_stop_it_on_every_bank(
    session, pickup_bank, drop_box, frozen_clock
):
    other = add_bank(
        session, "NH-PU-02", "南湖取件柜二", BankKind.PICKUP, drop_box.location, [Size.S]
    )
    for n in range(4):
        try_code(session, pickup_bank, f"9{n:05d}", "10.0.0.1")
    for n in range(2):
        try_code(session, other, f"8{n:05d}", "10.0.0.1")
    assert try_code(session, other, "777777", "10.0.0.1").answer is Answer.LOCKED
    assert try_code(session, other, "777777", "10.0.0.2").answer is Answer.WRONG


def test_a_script_at_full_speed_is_stopped_after_five_tries_per_bank_per_window(
    session, pickup_bank, frozen_clock
):
    for n in range(500):
        try_code(session, pickup_bank, f"{n:06d}", f"10.1.{n // 250}.{n % 250}")
    assert session.scalar(select(func.count()).select_from(CodeTry)) == 5


def test_wrong_codes_on_the_keypad_count_against_the_bank(session, pickup_bank):
    for _ in range(4):
        keypad_lock.count_wrong(session, pickup_bank)
    assert try_code(session, pickup_bank, "123123", "10.0.0.1").answer is Answer.LOCKED


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

"""A result in a locker leaves by the locker or to the desk, whatever a page or the API says."""

import pytest

from core.errors import DomainError
from core.users import Role
from courier.states import Kind, State
from lockers import pickup_codes
from lockers.compartments import add_bank, place_for_pickup
from lockers.models import BankKind, CompartmentState, Size
from services import consignments
from tests import factories
from tests.lockers.test_lockers import ready_for_pickup


@pytest.fixture
def in_locker(session):
    place = factories.location(session, "NH-LOCKER-1", "NH", kind="locker_site")
    bank = add_bank(session, "NH-PU-01", "南湖取件柜", BankKind.PICKUP, place, [Size.S] * 2)
    clerk = factories.user(session, "locker_clerk", Role.CLERK)
    consignment = ready_for_pickup(
        session, factories.consignment(session, origin="NH", department_campus="NH")
    )
    placement = place_for_pickup(session, consignment, bank, actor=clerk, key="p1")
    return clerk, consignment, placement


def test_picked_up_entered_by_hand_is_refused_with_the_way_out(session, in_locker):
    clerk, consignment, _placement = in_locker
    with pytest.raises(DomainError) as refused:
        consignments.record(session, clerk, consignment, Kind.PICKED_UP, "api:1")
    assert refused.value.code == "in_locker"
    assert "compartment 1 of 南湖取件柜" in refused.value.message % refused.value.params


def test_a_refused_pickup_leaves_the_compartment_full_and_the_code_working(session, in_locker):
    clerk, consignment, placement = in_locker
    with pytest.raises(DomainError):
        consignments.record(session, clerk, consignment, Kind.PICKED_UP, "api:1")
    assert (consignment.state, placement.compartment.state) == (
        State.AWAITING_PICKUP,
        CompartmentState.OCCUPIED,
    )
    assert pickup_codes.find_code(session, placement.compartment.bank, placement.digits)


def test_a_clerk_may_take_it_back_to_the_desk(session, in_locker):
    clerk, consignment, placement = in_locker
    outcome = consignments.record(session, clerk, consignment, Kind.PLACED_AT_DESK, "api:2")
    assert (outcome.ok, placement.compartment.state) == (True, CompartmentState.FREE)

"""A result moved from its locker to the service desk (uncollected) frees its compartment."""

import pytest
from sqlalchemy import select

from core.users import Role
from courier import agents
from courier.states import State
from firmware_bridge.models import Command
from lockers import pickup_codes
from lockers.compartments import add_bank, place_for_pickup
from lockers.models import BankKind, CompartmentState, Size
from tests import factories
from tests.lockers.test_lockers import ready_for_pickup


@pytest.fixture
def at_desk(session):
    place = factories.location(session, "NH-LOCKER-1", "NH", kind="locker_site")
    bank = add_bank(session, "NH-PU-01", "南湖取件柜", BankKind.PICKUP, place, [Size.S] * 2)
    clerk = factories.user(session, "desk_clerk", Role.CLERK)
    consignment = ready_for_pickup(
        session, factories.consignment(session, origin="NH", department_campus="NH")
    )
    placement = place_for_pickup(session, consignment, bank, actor=clerk, key="p1")
    agents.place_at_desk(session, consignment, clerk, "desk1")
    assert consignment.state == State.AT_DESK
    return placement


def test_keeping_an_uncollected_result_at_the_desk_empties_its_compartment(at_desk):
    assert at_desk.compartment.state == CompartmentState.FREE
    assert at_desk.compartment.consignment_id is None


def test_the_old_pickup_code_stops_working_here_and_on_the_controller(session, at_desk):
    assert pickup_codes.active_code(session, at_desk.compartment) is None
    cleared = session.scalars(select(Command).where(Command.op == "clear_code")).one()
    assert (cleared.controller, cleared.args) == ("NH-PU-01", {"compartment": 1})

"""The sorting locker in the flow: the courier's deposit is the sort, the clerk's open the
acceptance."""

import json

import pytest
from sqlalchemy import select

from core import clock
from core.audit import AuditEntry
from core.errors import DomainError
from courier.states import Kind, State
from firmware_bridge.ingest import handle
from firmware_bridge.models import Command
from lockers.compartments import add_bank, compartment
from lockers.models import Alert, BankKind, Size
from lockers.sorting import assign, compartment_number_for, waiting_in
from services.sorting import take_out
from tests import factories
from tests.courier.agent_helpers import clerk, walk
from tests.factories import LABEL_KEY

CTL = "XL-SO-01"


@pytest.fixture
def arrived(session):
    """An envelope for the XL department, unloaded at 西岭."""
    consignment = factories.consignment(session, origin="NH", department_campus="XL")
    walk(session, consignment, Kind.DEPOSITED, Kind.COLLECTED, Kind.LOADED, Kind.UNLOADED)
    return consignment


@pytest.fixture
def bank(session, arrived):
    place = factories.location(session, "XL-HALL", "XL", kind="hall")
    sorting = add_bank(session, CTL, "综合楼代办分拣柜", BankKind.SORTING, place, [Size.M] * 4)
    assign(session, sorting, 2, arrived.department)
    assign(session, sorting, 4, None)
    return sorting


def deposit(session, seq, number, consignment):
    body = {"v": 1, "ctl": CTL, "boot": 1, "seq": seq, "type": "deposit",
            "ts": clock.now().isoformat(),
            "data": {"compartment": number, "label": consignment.tracking_code}}  # fmt: skip
    handle(session, f"cc/v1/XL/{CTL}/evt", json.dumps(body).encode(), LABEL_KEY)


def test_a_deposit_into_the_departments_compartment_records_the_sort(session, bank, arrived):
    assert arrived.state == State.ARRIVED
    deposit(session, 1, 2, arrived)
    assert arrived.state == State.SORTED
    assert waiting_in(session, compartment(session, bank, 2)) == [arrived]


def test_a_deposit_into_another_departments_compartment_is_not_a_sort_and_alerts_the_hub(
    session, bank, arrived
):
    deposit(session, 1, 3, arrived)
    assert arrived.state == State.ARRIVED
    alert = session.scalar(select(Alert))
    assert alert.message.endswith("it belongs in compartment 2")


def test_a_department_without_a_compartment_sorts_into_the_agent_desks(session, bank):
    other = factories.department(session, "DX2", name="另一部门", campus=bank.campus)
    envelope = factories.consignment(session, origin="NH", department_campus="XL")
    envelope.department_id = other.id
    session.flush()
    session.refresh(envelope)
    assert compartment_number_for(session, bank, envelope) == 4


def test_the_clerk_opening_the_compartment_accepts_every_envelope_in_it(session, bank, arrived):
    deposit(session, 1, 2, arrived)
    sun = clerk(session, "sun")
    taken = take_out(session, sun, bank, 2, "10.0.0.7")
    assert taken == [arrived]
    assert (arrived.state, arrived.agent_id) == (State.WITH_AGENT, sun.id)
    command = session.scalar(select(Command))
    assert (command.op, command.args, command.requested_by_id) == ("open", {"compartment": 2},
                                                                   sun.id)  # fmt: skip
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "locker.sorting_open"))
    assert entry.details == {"accepted": [arrived.tracking_code]}
    assert waiting_in(session, compartment(session, bank, 2)) == []


def test_an_empty_sorting_compartment_is_not_opened(session, bank):
    with pytest.raises(DomainError, match="holds no sorted envelope"):
        take_out(session, clerk(session, "sun"), bank, 3, "10.0.0.7")
    assert session.scalar(select(Command)) is None

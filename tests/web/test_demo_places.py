"""The demo names its places and cabinets as people say them, and sorts at every hub."""

import pytest
from sqlalchemy import select

from catalog.models import Campus, Location
from lockers.models import BankKind, LockerBank
from lockers.sorting import assignments
from routes.models import Vehicle
from web.demo import seed_demo

#: What a bank of each kind is called, at the end of its name.
CALLED = {
    BankKind.DROP_BOX: "文件投递柜",
    BankKind.PICKUP: "取件柜",
    BankKind.SORTING: "分拣柜",
    BankKind.BUS_BOX: "专递箱",
}


@pytest.fixture
def demo(session):
    seed_demo(session, "l")
    return session


def test_every_demo_bank_is_called_what_it_is(demo):
    banks = demo.scalars(select(LockerBank)).all()
    assert {bank.controller: bank.name.endswith(CALLED[bank.kind]) for bank in banks} == {
        bank.controller: True for bank in banks
    }


def test_no_place_of_a_locker_is_named_after_a_cabinet(demo):
    sites = demo.scalars(
        select(Location.name).join(LockerBank, LockerBank.location_id == Location.id)
    ).all()
    assert [name for name in sites if name.endswith("柜")] == []


def test_every_hub_campus_has_a_sorting_locker_with_a_compartment_per_department(demo):
    for campus in demo.scalars(select(Campus)):
        [bank] = demo.scalars(
            select(LockerBank).where(
                LockerBank.kind == BankKind.SORTING, LockerBank.campus_id == campus.id
            )
        ).all()
        rows = assignments(demo, bank)
        assert {row.department.campus_id for row in rows if row.department} == {campus.id}
        assert rows[-1].department is None, "the last compartment is the agent desk's"


def test_every_demo_shuttle_carries_a_bus_box(demo):
    boxes = {
        bank.controller: bank.kind
        for bank in demo.scalars(select(LockerBank).where(LockerBank.kind == BankKind.BUS_BOX))
    }
    vehicles = demo.scalars(select(Vehicle)).all()
    assert vehicles
    assert {vehicle.code: boxes.get(vehicle.bus_box) for vehicle in vehicles} == {
        vehicle.code: BankKind.BUS_BOX for vehicle in vehicles
    }

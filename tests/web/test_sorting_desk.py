"""The clerk's desk shows the sorting compartments holding envelopes and opens them."""

import pytest
from sqlalchemy import select

from courier.custody import EventInput, record_event
from courier.models import Source
from courier.states import Kind, State
from firmware_bridge.models import Command
from lockers.compartments import add_bank
from lockers.models import BankKind, Size
from lockers.sorting import assign
from tests import factories
from tests.conftest import login
from tests.courier.agent_helpers import clerk, walk
from tests.pages import visible_text


@pytest.fixture
def sorted_envelope(session):
    consignment = factories.consignment(session, origin="NH", department_campus="XL")
    walk(session, consignment, Kind.DEPOSITED, Kind.COLLECTED, Kind.LOADED, Kind.UNLOADED)
    place = factories.location(session, "XL-HALL", "XL", kind="hall")
    bank = add_bank(session, "XL-SO-01", "综合楼代办分拣柜", BankKind.SORTING, place, [Size.M] * 3)
    assign(session, bank, 3, consignment.department)
    record_event(
        session,
        consignment,
        EventInput(Kind.SORTED, "sorted", Source.MQTT, location=place, device="XL-SO-01",
                   notes="XL-SO-01 #3"),
    )  # fmt: skip
    session.flush()
    return consignment


@pytest.fixture
def sun(session, client):
    person = clerk(session, "sun")
    login(client, "sun")
    return person


def test_the_desk_lists_the_sorting_compartment_with_its_envelopes(client, sun, sorted_envelope):
    page = client.get("/clerk/")
    text = visible_text(page)
    assert f"综合楼代办分拣柜 · 3号格口 1件： {sorted_envelope.tracking_code}" in text


def test_opening_from_the_desk_accepts_the_envelopes_and_asks_the_locker(
    client, session, sun, sorted_envelope
):
    response = client.post("/clerk/sorting/XL-SO-01/3/open")
    assert response.status_code == 302
    session.expire_all()
    assert (sorted_envelope.state, sorted_envelope.agent_id) == (State.WITH_AGENT, sun.id)
    assert session.scalar(select(Command.args)) == {"compartment": 3}


def test_an_empty_compartment_is_refused_on_the_desk(client, session, sun, sorted_envelope):
    client.post("/clerk/sorting/XL-SO-01/1/open")
    assert session.scalar(select(Command)) is None
    assert "1号格口内没有已分拣的文件" in visible_text(client.get("/clerk/"))

"""The drop box's screen: a genuine label opens a fitting door, a forged one opens nothing."""

import io

import pytest
from sqlalchemy import select

from courier.custody import EventInput, record_event
from courier.models import Source
from courier.states import Kind
from firmware_bridge.models import Command, CommandStatus
from labels.render import LabelData, thermal_png
from lockers.compartments import add_bank, bank_by_controller
from lockers.models import BankKind, CompartmentState, Size
from lockers.pickups import deposit
from tests import factories
from tests.factories import LABEL_KEY
from tests.pages import visible_text


@pytest.fixture
def drop_box(session):
    place = factories.location(session, "NH-LOCKER-1", "NH", kind="locker_site")
    # Compartment 1 is small: an ordinary envelope takes it, a thick file needs the large one.
    return add_bank(session, "NH-DB-01", "行政楼文件投递柜", BankKind.DROP_BOX, place,
                    [Size.S, Size.M, Size.L])  # fmt: skip


@pytest.fixture
def envelope(session, drop_box):
    return factories.consignment(session, origin="NH", department_campus="XL")


def drop(client, text):
    return client.post("/lockers/NH-DB-01/drop", data={"code": text})


def test_a_genuine_label_holds_a_fitting_door_for_the_envelope_and_asks_the_box_to_open_it(
    client, session, envelope, drop_box
):
    response = drop(client, envelope.tracking_code)
    assert response.status_code == 302
    command = session.scalar(select(Command))
    assert (command.op, command.args) == ("open", {"compartment": 1, "for": "deposit"})
    held = drop_box.compartments[0]
    session.refresh(held)
    assert (held.state, held.consignment_id) == (CompartmentState.RESERVED, envelope.id)


def test_a_thick_file_gets_a_large_door(client, session, drop_box):
    thick = factories.consignment(session, origin="NH", department_campus="XL", pages=300)
    drop(client, thick.tracking_code)
    assert session.scalar(select(Command)).args["compartment"] == 3


def test_the_readers_text_of_the_labels_qr_code_opens_a_door_too(client, session, envelope):
    drop(client, f"http://127.0.0.1:8000/t/{envelope.tracking_code}")
    assert session.scalar(select(Command)) is not None


def test_a_forged_label_is_refused_with_a_clear_message_and_opens_nothing(
    client, session, envelope
):
    forged = envelope.tracking_code[:-1] + ("0" if envelope.tracking_code[-1] != "0" else "1")
    response = drop(client, forged)
    assert response.status_code == 422
    assert "不是本校文件转接服务签发的" in visible_text(response)
    assert session.scalar(select(Command)) is None


def test_an_envelope_already_handed_in_is_not_dropped_again(client, session, envelope):
    record_event(session, envelope, EventInput(Kind.DEPOSITED, "desk", Source.WEB))
    session.flush()
    response = drop(client, envelope.tracking_code)
    assert "已经投递" in visible_text(response)
    assert session.scalar(select(Command)) is None


def test_a_photo_of_the_label_is_decoded_on_the_server(client, session, envelope):
    code = envelope.tracking_code
    label = LabelData(
        code, f"http://127.0.0.1:8000/t/{code}", code, "教务处", "南湖 → 西岭", "", ""
    )
    client.post(
        "/lockers/NH-DB-01/drop",
        data={"photo": (io.BytesIO(thermal_png(label)), "label.png")},
        content_type="multipart/form-data",
    )
    assert session.scalar(select(Command)).args["compartment"] == 1


def test_a_pickup_locker_has_no_drop_screen(client, session):
    place = factories.location(session, "NH-LOCKER-2", "NH", kind="locker_site")
    add_bank(session, "NH-PU-01", "行政楼取件柜", BankKind.PICKUP, place, [Size.S])
    assert client.get("/lockers/NH-PU-01/drop").status_code == 404


def opening_page(client, session, envelope):
    location = drop(client, envelope.tracking_code).headers["Location"]
    return location, session.scalar(select(Command))


def test_the_screen_says_the_door_is_open_once_the_box_confirms(client, session, envelope):
    location, command = opening_page(client, session, envelope)
    command.status = CommandStatus.DONE
    session.flush()
    page = client.get(location)
    assert "1号柜门已打开" in visible_text(page)


def test_the_screen_says_the_envelope_arrived_once_the_box_reports_the_deposit(
    client, session, envelope, drop_box
):
    location, command = opening_page(client, session, envelope)
    command.status = CommandStatus.DONE
    held = drop_box.compartments[0]
    session.refresh(held)
    held.state = CompartmentState.OPEN
    outcome = deposit(session, held, None, key="mqtt:NH-DB-01:2", label_key=LABEL_KEY)
    assert outcome.consignment is envelope
    session.flush()
    page = client.get(location)
    assert "已收到您的文件" in visible_text(page)


def test_a_door_shut_with_nothing_in_it_says_so(client, session, envelope):
    location, command = opening_page(client, session, envelope)
    command.status = CommandStatus.DONE
    bank = bank_by_controller(session, "NH-DB-01")
    session.refresh(bank.compartments[0])
    bank.compartments[0].state = CompartmentState.FREE
    bank.compartments[0].consignment_id = None
    session.flush()
    assert "柜内没有文件" in visible_text(client.get(location))

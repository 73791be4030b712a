"""My pickups: the recipient sees their code and QR, by login or by the notice's signed link."""

import base64
import io
import re

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from core.outbox import OutboxMessage
from core.users import Role
from firmware_bridge.models import Command
from lockers import pickup_codes
from lockers.compartments import add_bank, place_for_pickup
from lockers.models import BankKind, PickupCode, Size
from lockers.pickup_links import link_token
from tests import factories
from tests.conftest import login
from tests.lockers.test_lockers import ready_for_pickup
from tests.pages import visible_text


@pytest.fixture
def waiting(session):
    place = factories.location(session, "NH-LOCKER-1", "NH", kind="locker_site")
    bank = add_bank(session, "NH-PU-01", "南湖取件柜", BankKind.PICKUP, place, [Size.S] * 3)
    teacher = factories.user(session, "pickup_teacher", Role.TEACHER, phone="+8613800000901")
    consignment = ready_for_pickup(
        session, factories.consignment(session, origin="NH", department_campus="NH")
    )
    consignment.recipient_user_id = teacher.id
    session.flush()
    return place_for_pickup(session, consignment, bank, actor=None, key="p1")


def test_my_pickups_shows_the_code_the_locker_and_what_to_do_if_it_fails(client, waiting):
    login(client, "pickup_teacher", factories.PASSWORD)
    text = visible_text(client.get("/pickups"))
    assert waiting.digits in text
    assert "南湖取件柜" in text
    assert "服务台" in text or "service desk" in text


def test_the_qr_on_my_pickups_reads_back_as_the_code(client, waiting):
    login(client, "pickup_teacher", factories.PASSWORD)
    page = client.get("/pickups").get_data(as_text=True)
    encoded = re.search(r'src="data:image/png;base64,([^"]+)"', page).group(1)
    (found,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(base64.b64decode(encoded))))
    assert found.text == waiting.digits


def test_the_api_lists_my_pickups_with_their_code(client, waiting):
    token = client.post(
        "/api/auth/token", json={"login": "pickup_teacher", "password": factories.PASSWORD}
    ).get_json()["token"]
    (item,) = client.get("/api/pickups", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert (item["code"], item["compartment"], item["locker"]["name"]) == (
        waiting.digits,
        waiting.compartment.number,
        "南湖取件柜",
    )


def test_someone_else_sees_no_pickup(client, session, waiting):
    factories.user(session, "other_teacher", Role.TEACHER)
    login(client, "other_teacher", factories.PASSWORD)
    assert waiting.digits not in visible_text(client.get("/pickups"))


def test_the_notice_link_opens_the_pickup_without_a_login(client, session, waiting):
    (notice,) = [
        row
        for row in session.scalars(select(OutboxMessage))
        if row.payload.get("template") == "pickup_ready"
    ]
    link = re.search(r"/p/[0-9a-f-]+", notice.payload["text"]).group(0)
    assert waiting.digits in visible_text(client.get(link))


def test_a_forged_link_opens_nothing(client, session, waiting):
    code = session.scalar(select(PickupCode))
    token = link_token(session, code)
    forged = token[:-1] + ("1" if token.endswith("0") else "0")
    assert client.get(f"/p/{forged}").status_code == 404


def test_sending_the_code_again_makes_the_old_one_fail_here_and_on_the_controller(
    client, session, waiting
):
    login(client, "pickup_teacher", factories.PASSWORD)
    client.post(f"/pickups/{waiting.compartment.consignment.tracking_code}/resend")
    bank = waiting.compartment.bank
    fresh = session.scalars(select(PickupCode).order_by(PickupCode.id.desc())).first()
    set_codes = session.scalars(select(Command).where(Command.op == "set_code")).all()
    assert pickup_codes.find_code(session, bank, waiting.digits) is None
    assert pickup_codes.find_code(session, bank, pickup_codes.digits_of(session, fresh)) == fresh
    assert [c.args["code_hash"] for c in set_codes][-1] == fresh.code_hash

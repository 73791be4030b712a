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


COLLEAGUE_PHONE = "13900000902"


def hand_to_colleague(client, waiting, name="王同事", phone=COLLEAGUE_PHONE):
    login(client, "pickup_teacher", factories.PASSWORD)
    tracking = waiting.compartment.consignment.tracking_code
    return client.post(f"/pickups/{tracking}/colleague", data={"name": name, "phone": phone})


def colleague_notice(session):
    (notice,) = [
        row
        for row in session.scalars(select(OutboxMessage))
        if row.payload.get("template") == "pickup_for_colleague"
    ]
    return notice


def test_a_colleague_gets_a_fresh_code_and_the_signed_link_by_sms(client, session, waiting):
    hand_to_colleague(client, waiting)
    notice = colleague_notice(session)
    fresh = session.scalars(select(PickupCode).order_by(PickupCode.id.desc())).first()
    digits = pickup_codes.digits_of(session, fresh)
    assert (notice.channel, notice.recipient) == ("sms", "+86" + COLLEAGUE_PHONE)
    assert f"取件码 {digits}" in notice.payload["text"]
    link = re.search(r"/p/[0-9a-f-]+", notice.payload["text"]).group(0)
    assert digits in visible_text(client.get(link))


def test_sending_the_colleague_form_twice_sends_one_code(client, session, waiting):
    hand_to_colleague(client, waiting)
    hand_to_colleague(client, waiting)
    assert colleague_notice(session).recipient == "+86" + COLLEAGUE_PHONE
    assert len(session.scalars(select(PickupCode)).all()) == 2


def test_another_colleague_after_the_first_gets_a_code_of_their_own(client, session, waiting):
    hand_to_colleague(client, waiting)
    hand_to_colleague(client, waiting, name="李同事", phone="13900000903")
    assert len(session.scalars(select(PickupCode)).all()) == 3


def test_after_a_handover_the_recipients_code_fails_here_and_on_the_controller(
    client, session, waiting
):
    hand_to_colleague(client, waiting)
    bank = waiting.compartment.bank
    fresh = session.scalars(select(PickupCode).order_by(PickupCode.id.desc())).first()
    set_codes = session.scalars(select(Command).where(Command.op == "set_code")).all()
    assert pickup_codes.find_code(session, bank, waiting.digits) is None
    assert [c.args["code_hash"] for c in set_codes][-1] == fresh.code_hash


def test_a_handover_is_its_own_custody_event_with_who_when_and_where(client, session, waiting):
    from courier.models import CustodyEvent
    from courier.states import Kind

    hand_to_colleague(client, waiting)
    (event,) = session.scalars(
        select(CustodyEvent).where(CustodyEvent.kind == Kind.HANDED_TO_COLLEAGUE)
    ).all()
    assert event.actor.login == "pickup_teacher"
    assert (event.location.code, event.device) == ("NH-LOCKER-1", "NH-PU-01")
    assert event.notes == "王同事 (139****0902)"
    assert event.server_at is not None


def test_the_timeline_shows_the_handover_in_chinese_and_in_english(client, waiting):
    hand_to_colleague(client, waiting)
    page = f"/consignments/{waiting.compartment.consignment.tracking_code}"
    assert "已转交同事代取" in visible_text(client.get(page))
    client.post("/lang/en")
    assert "Handed to a colleague to collect" in visible_text(client.get(page))


def test_my_pickups_names_the_colleague_instead_of_showing_their_code(client, session, waiting):
    hand_to_colleague(client, waiting)
    fresh = session.scalars(select(PickupCode).order_by(PickupCode.id.desc())).first()
    text = visible_text(client.get("/pickups"))
    assert "由 王同事 代取" in text
    assert pickup_codes.digits_of(session, fresh) not in text


def test_a_number_that_is_no_mobile_is_refused_and_nothing_changes(client, session, waiting):
    refused = hand_to_colleague(client, waiting, phone="010-12345678")
    assert refused.status_code == 302
    assert pickup_codes.find_code(session, waiting.compartment.bank, waiting.digits) is not None
    assert "手机号" in visible_text(client.get("/pickups"))


def api_token(client, login_name="pickup_teacher"):
    return client.post(
        "/api/auth/token", json={"login": login_name, "password": factories.PASSWORD}
    ).get_json()["token"]


def test_the_api_lets_a_colleague_collect_and_then_lists_no_code(client, waiting):
    headers = {"Authorization": f"Bearer {api_token(client)}"}
    tracking = waiting.compartment.consignment.tracking_code
    handed = client.post(
        f"/api/pickups/{tracking}/colleague",
        json={"name": "王同事", "phone": COLLEAGUE_PHONE},
        headers=headers,
    ).get_json()
    (listed,) = client.get("/api/pickups", headers=headers).get_json()
    assert (handed["collector"], handed["code"]) == ("王同事", None)
    assert (listed["collector"], listed["code"]) == ("王同事", None)


def test_the_api_refuses_a_number_that_is_no_mobile_naming_the_field(client, waiting):
    headers = {"Authorization": f"Bearer {api_token(client)}"}
    tracking = waiting.compartment.consignment.tracking_code
    response = client.post(
        f"/api/pickups/{tracking}/colleague",
        json={"name": "王同事", "phone": "12345"},
        headers=headers,
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["problems"][0]["field"] == "phone"


def test_only_the_recipient_may_let_a_colleague_collect(client, session, waiting):
    factories.user(session, "other_teacher", Role.TEACHER)
    session.flush()
    headers = {"Authorization": f"Bearer {api_token(client, 'other_teacher')}"}
    tracking = waiting.compartment.consignment.tracking_code
    response = client.post(
        f"/api/pickups/{tracking}/colleague",
        json={"name": "王同事", "phone": COLLEAGUE_PHONE},
        headers=headers,
    )
    assert response.status_code == 403

"""The courier's pages: submitting, the timeline, the public page, the scan page's endpoints."""

import io
import re
import uuid

import pytest
from sqlalchemy import select

from core.users import Role
from courier.models import Consignment, Photo
from labels.render import LabelData, thermal_png
from tests import factories
from tests.conftest import login


@pytest.fixture
def teacher(client, session, courier_world):
    user = factories.user(session, "wang", Role.TEACHER, name="王老师")
    login(client, "wang")
    return user


def submit(client, **overrides):
    form = {
        "service_item": "ACAD-001",
        "origin_campus": "NH",
        "pickup_campus": "NH",
        "recipient": "self",
        "pages": "3",
        "documents": "1",
        "materials": ["学生证"],
        **overrides,
    }
    return client.post("/consignments/new", data=form)


def latest(session):
    return session.scalar(select(Consignment).order_by(Consignment.id.desc()).limit(1))


def test_choosing_a_service_shows_its_materials_checklist(client, teacher):
    page = client.post(
        "/consignments/new", data={"service_item": "ACAD-001", "choose": "1"}
    ).get_data(as_text=True)
    assert 'value="学生证"' in page


def test_only_items_the_courier_can_carry_are_offered(client, session, teacher):
    factories.item(session, code="ACAD-002", name="网上办理事项", channels=["online"])
    page = client.get("/consignments/new").get_data(as_text=True)
    assert "ACAD-001" in page
    assert "ACAD-002" not in page


def test_a_teacher_submits_and_lands_on_the_timeline(client, session, teacher):
    response = submit(client)
    assert response.status_code == 302
    consignment = latest(session)
    assert consignment.materials_checked == ["学生证"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert consignment.tracking_code in page
    assert "label?format=thermal" in page


def test_a_bad_submission_shows_the_problem_and_stores_nothing(client, session, teacher):
    response = submit(client, recipient="other", recipient_name="李四", recipient_phone="")
    assert response.status_code == 422
    assert latest(session) is None


def test_the_label_downloads_from_the_page(client, session, teacher):
    submit(client)
    code = latest(session).tracking_code
    response = client.get(f"/consignments/{code}/label?format=a6")
    assert response.mimetype == "image/png"


def test_my_consignments_lists_the_new_one(client, session, teacher):
    submit(client)
    assert latest(session).tracking_code in client.get("/consignments/").get_data(as_text=True)


def test_a_student_cannot_see_a_teachers_consignment(client, session, teacher):
    submit(client)
    code = latest(session).tracking_code
    client.post("/logout")
    factories.user(session, "li", Role.STUDENT)
    login(client, "li")
    assert client.get(f"/consignments/{code}").status_code == 403


def test_the_submitter_cancels_from_the_page(client, session, teacher):
    submit(client)
    consignment = latest(session)
    page = client.get(f"/consignments/{consignment.tracking_code}").get_data(as_text=True)
    assert 'data-test="event-cancelled"' in page
    client.post(
        f"/consignments/{consignment.tracking_code}/events",
        data={"kind": "cancelled", "event_id": str(uuid.uuid4())},
    )
    session.refresh(consignment)
    assert consignment.state == "cancelled"


def test_the_public_page_shows_progress_but_nothing_personal(client, session, teacher):
    submit(client, recipient="other", recipient_name="李四", recipient_phone="13912345678")
    code = latest(session).tracking_code
    client.post("/logout")
    page = client.get(f"/t/{code}").get_data(as_text=True)
    assert 'data-test="timeline"' in page
    for personal in ("李四", "13912345678", "王老师"):
        assert personal not in page


def test_the_public_page_refuses_a_forged_code(client):
    assert client.get("/t/ABCDEFGHJKMNP").status_code == 404


@pytest.fixture
def courier(client, session, courier_world):
    factories.user(session, "zhao", Role.COURIER)
    login(client, "zhao")


def test_the_scan_page_keeps_an_input_focused_for_scanners(client, courier):
    page = client.get("/courier/scan").get_data(as_text=True)
    [code_input] = re.findall(r'<input id="code"[^>]*>', page)
    assert "autofocus" in code_input
    assert 'capture="environment"' in page


def test_the_scan_page_endpoint_takes_a_batch(client, session, courier):
    consignment = factories.consignment(session, origin="NH", department_campus="XL")
    body = {"scans": [{"id": str(uuid.uuid4()), "code": consignment.tracking_code,
                       "kind": "deposit", "location": "NH-STOP"}]}  # fmt: skip
    result = client.post("/courier/scans", json=body).get_json()["results"][0]
    assert result["ok"]
    assert result["state_label"] == "已投递"


def photo_of_label(code):
    label = LabelData(
        code, f"http://127.0.0.1:8000/t/{code}", code, "教务处", "南湖 → 西岭", "", ""
    )
    return thermal_png(label)


def test_a_photo_of_a_label_is_decoded_and_scanned(client, session, courier):
    consignment = factories.consignment(session, origin="NH", department_campus="XL")
    response = client.post(
        "/courier/photo",
        data={
            "photo": (io.BytesIO(photo_of_label(consignment.tracking_code)), "label.png"),
            "kind": "deposit",
            "location": "NH-STOP",
        },
        content_type="multipart/form-data",
    )
    [result] = response.get_json()["results"]
    assert (result["ok"], result["tracking_code"], result["state_label"]) == (
        True,
        consignment.tracking_code,
        "已投递",
    )
    session.refresh(consignment)
    assert consignment.state == "deposited"


def test_a_photo_without_a_code_says_so(client, courier, jpeg):
    response = client.post(
        "/courier/photo",
        data={"photo": (io.BytesIO(jpeg), "blank.jpg"), "kind": "deposit"},
        content_type="multipart/form-data",
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "no_code"


def test_a_file_that_is_not_a_photo_is_refused(client, courier):
    response = client.post(
        "/courier/photo",
        data={"photo": (io.BytesIO(b"%PDF-1.4"), "doc.pdf"), "kind": "deposit"},
        content_type="multipart/form-data",
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 422


def test_a_teacher_cannot_open_the_scan_page(client, teacher):
    assert client.get("/courier/scan").status_code == 403


def test_a_damage_report_from_the_page_stores_its_photo(client, session, courier_world, jpeg):
    consignment = factories.consignment(session, origin="NH", department_campus="XL")
    consignment.state = "deposited"
    factories.user(session, "zhao", Role.COURIER)
    login(client, "zhao")
    client.post(
        f"/consignments/{consignment.tracking_code}/events",
        data={"kind": "damaged", "notes": "一角浸水", "photo": (io.BytesIO(jpeg), "d.jpg")},
        content_type="multipart/form-data",
    )
    session.refresh(consignment)
    assert consignment.damaged
    assert session.scalar(select(Photo.content_type)) == "image/jpeg"


def test_a_refused_damage_report_keeps_no_photo(client, session, courier_world, jpeg):
    consignment = factories.consignment(session, origin="NH", department_campus="XL")
    factories.user(session, "zhao", Role.COURIER)
    login(client, "zhao")
    client.post(
        f"/consignments/{consignment.tracking_code}/events",
        data={"kind": "damaged", "photo": (io.BytesIO(jpeg), "d.jpg")},
        content_type="multipart/form-data",
    )
    assert session.scalar(select(Photo.id)) is None


def test_a_double_submitted_form_makes_one_consignment(client, session, teacher):
    page = client.get("/consignments/new").get_data(as_text=True)
    key = re.search(r'name="form_key" value="([0-9a-f]+)"', page).group(1)
    first = submit(client, form_key=key)
    second = submit(client, form_key=key)
    assert first.headers["Location"] == second.headers["Location"]
    assert session.query(Consignment).count() == 1


def test_a_new_form_gets_a_new_key(client, teacher):
    keys = {
        re.search(r'name="form_key" value="([0-9a-f]+)"', client.get("/consignments/new").text)[1]
        for _ in range(2)
    }
    assert len(keys) == 2


def _offered(page):
    return re.findall(r'<option value="([A-Z0-9-]+)" data-search', page)


@pytest.mark.parametrize("typed", ["zzzm", "zaizhi", "在职"])
def test_the_service_picker_finds_an_item_by_initials_pinyin_or_name(
    client, session, teacher, typed
):
    factories.item(session, code="HR-001", name="在职证明", name_en="Employment certificate")
    page = client.post("/consignments/new", data={"item_q": typed, "choose": "1"}).text
    assert _offered(page) == ["HR-001"]


def test_the_service_picker_keeps_the_chosen_item_when_a_search_misses_it(client, session, teacher):
    factories.item(session, code="HR-001", name="在职证明")
    page = client.post(
        "/consignments/new", data={"item_q": "zzzm", "service_item": "ACAD-001", "choose": "1"}
    ).text
    assert _offered(page) == ["ACAD-001", "HR-001"]


def test_the_service_picker_offers_no_item_the_courier_cannot_carry(client, session, teacher):
    factories.item(session, code="HR-002", name="在职证明", channels=["online"])
    page = client.post("/consignments/new", data={"item_q": "zzzm", "choose": "1"}).text
    assert _offered(page) == []


def test_the_guide_prefills_the_send_form(client, teacher):
    page = client.get("/consignments/new?item=ACAD-001").text
    assert 'value="ACAD-001" data-search' in page
    assert re.search(r'value="ACAD-001" data-search="[^"]*" selected', page)

"""联审联办 on the desk page, the tracking pages and the API; categories on the guide and the
catalog API."""

import pytest
from sqlalchemy.orm import object_session

from core.users import Role
from tests import factories
from tests.conftest import login
from tests.courier.agent_helpers import at_agent_desk, clerk
from tests.web.test_courier_api import bearer, event, scan, submit


@pytest.fixture
def wang(session, client):
    person = clerk(session, "wang")
    login(client, "wang")
    return person


@pytest.fixture
def joint(session):
    """At the agent desk on 西岭: 科研处 (SCI) and then 档案馆 (ARCH) handle it."""
    return at_agent_desk(session, joint=("SCI", "ARCH"))


def post(client, consignment, action, form_id, **data):
    response = client.post(
        f"/clerk/{consignment.tracking_code}/{action}", data={"form_id": form_id, **data}
    )
    object_session(consignment).expire_all()
    return response


def test_the_desk_page_shows_the_first_step_and_offers_the_handover_to_its_department(
    client, wang, joint
):
    post(client, joint, "accept", "a")
    page = client.get(f"/clerk/{joint.tracking_code}").get_data(as_text=True)
    handover = page.split('data-test="step-handed_to_department"')[1][:80]
    assert ("第 1 步，共 2 步" in page, "SCI处" in handover) == (True, True)


def test_after_the_first_department_gives_it_back_the_desk_offers_the_second(client, wang, joint):
    post(client, joint, "accept", "a")
    post(client, joint, "step", "b", kind="handed_to_department")
    post(client, joint, "step", "c", kind="returned_by_department")
    page = client.get(f"/clerk/{joint.tracking_code}").get_data(as_text=True)
    handover = page.split('data-test="step-handed_to_department"')[1][:80]
    assert ("第 2 步，共 2 步" in page, "ARCH处" in handover) == (True, True)


def test_the_public_tracking_page_shows_the_steps_without_naming_the_departments(
    client, session, joint
):
    page = client.get(f"/t/{joint.tracking_code}").get_data(as_text=True)
    assert ('data-test="joint-step-2"' in page, "SCI处" in page) == (True, False)


def test_the_teacher_sees_the_departments_in_turn_on_the_consignment_page(client, session, joint):
    login(client, joint.submitter.login, factories.PASSWORD)
    page = client.get(f"/consignments/{joint.tracking_code}").get_data(as_text=True)
    steps = page.split('data-test="joint-steps"')[1]
    assert steps.index("SCI处") < steps.index("ARCH处")


@pytest.fixture
def joint_item(session, courier_world):
    xl = factories.campus(session, "XL")
    factories.department(session, "SCI", "科学技术处", campus=xl)
    factories.department(session, "ARCH", "档案馆", campus=xl)
    return factories.item(
        session,
        code="SCI-007",
        department="SCI",
        campuses=["XL"],
        category="RESEARCH",
        joint_departments=["SCI", "ARCH"],
    )


def test_the_api_walks_a_joint_item_through_both_departments(client, session, joint_item):
    teacher = bearer(client, session, "li", Role.TEACHER)
    courier = bearer(client, session, "zhao", Role.COURIER)
    clerk_ = bearer(client, session, "sun", Role.CLERK)
    code = submit(client, teacher, service_item="SCI-007", origin_campus="XL").get_json()[
        "tracking_code"
    ]
    for kind in ("deposit", "collect", "sort"):
        assert scan(client, courier, code, kind, "XL-STOP")["ok"]
    for kind in (
        "agent_accepted",
        "handed_to_department",
        "returned_by_department",
        "handed_to_department",
    ):
        assert event(client, clerk_, code, kind).status_code == 201
    body = client.get(f"/api/consignments/{code}", headers=clerk_).get_json()
    assert [(s["department"], s["status"]) for s in body["joint_steps"]] == [
        ("SCI", "returned"),
        ("ARCH", "at_department"),
    ]


def test_the_api_refuses_the_result_before_the_last_department_gave_it_back(
    client, session, joint_item
):
    teacher = bearer(client, session, "li", Role.TEACHER)
    courier = bearer(client, session, "zhao", Role.COURIER)
    clerk_ = bearer(client, session, "sun", Role.CLERK)
    code = submit(client, teacher, service_item="SCI-007", origin_campus="XL").get_json()[
        "tracking_code"
    ]
    for kind in ("deposit", "collect", "sort"):
        scan(client, courier, code, kind, "XL-STOP")
    event(client, clerk_, code, "agent_accepted")
    response = event(client, clerk_, code, "result_ready", notes="")
    assert (response.status_code, response.get_json()["error"]["code"]) == (
        409,
        "joint_incomplete",
    )


def test_the_catalog_api_filters_by_category(client, joint_item):
    body = client.get("/api/catalog/items?category=RESEARCH").get_json()
    assert [i["code"] for i in body["items"]] == ["SCI-007"]


def test_the_catalog_api_names_an_item_s_category_and_departments_in_turn(client, joint_item):
    body = client.get("/api/catalog/items/SCI-007").get_json()
    assert (body["category"]["name"], [d["code"] for d in body["joint_departments"]]) == (
        "科研事务",
        ["SCI", "ARCH"],
    )


def test_the_guide_filtered_by_a_category_lists_only_its_items(client, joint_item):
    page = client.get("/catalog/?category=RESEARCH").get_data(as_text=True)
    assert ("SCI-007" in page, "ACAD-001" in page) == (True, False)


def test_the_guide_lists_the_categories_to_browse(client, joint_item):
    page = client.get("/catalog/").get_data(as_text=True)
    assert 'data-test="category-RESEARCH"' in page


def test_an_item_s_guide_names_the_departments_in_turn(client, joint_item):
    page = client.get("/catalog/SCI-007").get_data(as_text=True)
    joint = page.split('data-test="joint-departments"')[1][:300]
    assert joint.index("科学技术处") < joint.index("档案馆")

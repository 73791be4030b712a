"""The agent's materials request and reassignment through the API follow the desk's rules."""

import pytest
from sqlalchemy import select

from core.outbox import OutboxMessage
from core.users import Role
from tests import factories
from tests.web.test_courier_api import bearer, event, scan, submit


@pytest.fixture
def clerk(client, session):
    return bearer(client, session, "sun", Role.CLERK)


@pytest.fixture
def accepted(client, session, courier_world, clerk):
    """A same-campus consignment on 西岭 that the clerk has taken."""
    factories.user(session, "wang", Role.TEACHER, phone="+8613800000088")
    token = client.post(
        "/api/auth/token", json={"login": "wang", "password": factories.PASSWORD}
    ).get_json()["token"]
    teacher = {"Authorization": f"Bearer {token}"}
    courier = bearer(client, session, "zhao", Role.COURIER)
    code = submit(client, teacher, origin_campus="XL").get_json()["tracking_code"]
    for kind in ("deposit", "collect", "sort"):
        assert scan(client, courier, code, kind, "XL-STOP")["ok"]
    assert event(client, clerk, code, "agent_accepted").status_code == 201
    return code


def materials_notices(session):
    session.expire_all()
    return [
        row
        for row in session.scalars(select(OutboxMessage))
        if row.payload.get("template") == "materials_missing"
    ]


def test_materials_requested_through_the_api_tells_the_submitter(client, session, accepted, clerk):
    response = event(client, clerk, accepted, "materials_requested", missing=["学生证"])
    assert response.status_code == 201
    assert response.get_json()["state"] == "awaiting_materials"
    [notice] = materials_notices(session)
    assert "/consignments/" in notice.payload["text"]


def test_a_second_materials_request_through_the_api_is_refused_to_a_clerk(
    client, session, accepted, clerk
):
    event(client, clerk, accepted, "materials_requested", missing=["学生证"])
    event(client, clerk, accepted, "materials_received")
    again = event(client, clerk, accepted, "materials_requested", other="复印件不清晰")
    assert again.status_code == 403
    assert len(materials_notices(session)) == 1


def test_a_reassignment_through_the_api_needs_a_target_and_a_reason(
    client, session, accepted, clerk
):
    refused = event(client, clerk, accepted, "reassigned")
    assert refused.status_code == 422
    assert {p["field"] for p in refused.get_json()["error"]["problems"]} == {"to", "reason"}
    bearer(client, session, "li", Role.CLERK)
    moved = event(client, clerk, accepted, "reassigned", to="li", reason="休假")
    assert moved.status_code == 201


def test_another_clerk_may_not_decide_a_consignment_through_the_api(client, session, accepted):
    other = bearer(client, session, "li", Role.CLERK)
    refused = event(client, other, accepted, "approved")
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "owned_by_other"


def test_another_clerk_may_not_place_a_result_through_the_api(client, session, accepted, clerk):
    event(client, clerk, accepted, "result_ready")
    other = bearer(client, session, "li", Role.CLERK)
    refused = event(client, other, accepted, "placed_for_pickup")
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "owned_by_other"


def test_an_administrator_reassigns_through_the_api_only_with_a_reason(client, session, accepted):
    admin = bearer(client, session, "boss", Role.ADMIN)
    factories.user(session, "li", Role.CLERK)
    refused = event(client, admin, accepted, "reassigned", to="li", reason="")
    assert refused.status_code == 422

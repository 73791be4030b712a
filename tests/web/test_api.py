import re

import pytest

from core.users import Role
from tests import factories


@pytest.fixture
def transcript(session):
    return factories.item(session, code="ACAD-001", name="中文成绩单开具", time_limit_days=3)


def test_a_token_is_issued_for_the_right_password(client, session):
    factories.user(session, "wang", Role.TEACHER)
    token = client.post(
        "/api/auth/token", json={"login": "wang", "password": "password123"}
    ).get_json()["token"]
    mine = client.get("/api/consignments?mine=1", headers={"Authorization": f"Bearer {token}"})
    assert (mine.status_code, mine.get_json()) == (200, {"consignments": []})


def test_a_wrong_password_gets_a_json_error(client, session):
    factories.user(session, "wang")
    response = client.post("/api/auth/token", json={"login": "wang", "password": "nope-nope"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_a_malformed_token_request_is_a_400(client):
    response = client.post("/api/auth/token", data="not json", content_type="application/json")
    assert response.status_code == 400


def test_the_catalog_api_is_public(client, transcript):
    body = client.get("/api/catalog/items?q=成绩单").get_json()
    assert body["total"] == 1
    item = body["items"][0]
    for field in ("code", "name", "department", "campuses", "channels", "proxy_allowed"):
        assert field in item
    assert item["materials"][0]["name"] == "学生证"
    assert item["time_limit_days"] == 3
    assert item["status"] == "published"


def test_the_catalog_api_filters_by_department_and_campus(client, transcript):
    assert client.get("/api/catalog/items?department=ACAD&campus=NH").get_json()["total"] == 1
    assert client.get("/api/catalog/items?campus=XL").get_json()["total"] == 0


def test_one_item_by_code(client, transcript):
    assert client.get("/api/catalog/items/ACAD-001").get_json()["name"] == "中文成绩单开具"


def test_an_unknown_code_is_a_404_in_chinese_by_default(client):
    response = client.get("/api/catalog/items/NOPE-1")
    assert response.status_code == 404
    assert response.get_json()["error"] == {
        "code": "item_not_found",
        "message": "没有编码为 NOPE-1 的事项。",
    }


def test_an_unknown_code_is_explained_in_english_when_asked(client):
    response = client.get("/api/catalog/items/NOPE-1", headers={"Accept-Language": "en"})
    assert response.get_json()["error"]["message"] == "No service item has the code NOPE-1."


def test_an_unknown_api_path_answers_json(client):
    assert client.get("/api/nothing-here").get_json()["error"]["code"] == "not_found"


def test_the_openapi_document_describes_every_api_route(app, client):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    routes = {
        re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
    }
    assert routes == set(spec["paths"])


def test_a_bearer_token_authenticates_api_calls(client, session):
    factories.user(session, "wang")
    token = client.post(
        "/api/auth/token", json={"login": "wang", "password": "password123"}
    ).get_json()["token"]
    from flask import g

    with client:
        client.get("/api/catalog/items", headers={"Authorization": f"Bearer {token}"})
        assert g.user.login == "wang"

"""Requests are decoded from the API's declared types: what does not fit is a 4xx, never a 500."""

import pytest

from core.users import Role
from tests import factories

TOO_BIG = "9223372036854775808"


def bearer(client, session, login, *roles):
    factories.user(session, login, *roles)
    token = client.post(
        "/api/auth/token", json={"login": login, "password": factories.PASSWORD}
    ).get_json()["token"]
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def teacher(client, session, courier_world):
    return bearer(client, session, "wang", Role.TEACHER)


def submit(client, headers, **overrides):
    body = {"service_item": "ACAD-001", "origin_campus": "NH", **overrides}
    return client.post("/api/consignments", json=body, headers=headers)


def problem_fields(response):
    return [problem["field"] for problem in response.get_json()["error"]["problems"]]


def test_a_ticket_id_past_64_bits_is_not_found(client):
    assert client.get(f"/api/tickets/{TOO_BIG}").status_code == 404


def test_a_ticket_id_past_the_id_columns_is_not_found(client):
    assert client.get(f"/api/tickets/{2**31}").status_code == 404


def test_a_photo_id_past_64_bits_is_not_found(client, session):
    headers = bearer(client, session, "zhao", Role.COURIER)
    assert client.get(f"/api/photos/{TOO_BIG}", headers=headers).status_code == 404


def test_a_window_number_past_64_bits_is_not_found(client, session):
    headers = bearer(client, session, "zhou", Role.HALL_STAFF)
    assert client.post(f"/api/windows/{TOO_BIG}/hold", headers=headers).status_code == 404


@pytest.mark.parametrize(
    ("path", "field"),
    [("/api/catalog/items?page=", "page"), ("/api/hall/calls?after=", "after")],
)
def test_a_query_number_past_64_bits_names_its_field(client, path, field):
    response = client.get(path + TOO_BIG)
    assert (response.status_code, problem_fields(response)) == (422, [field])


def test_a_device_seq_past_64_bits_names_after_seq(client, session):
    headers = bearer(client, session, "root", Role.ADMIN)
    factories.campus(session, "NH")
    response = client.get(f"/api/lockers/NH-DB-01/events?after_seq={TOO_BIG}", headers=headers)
    assert response.status_code in (404, 422)


def test_a_pickup_campus_that_is_a_list_is_refused_by_field(client, teacher):
    response = submit(client, teacher, pickup_campus=[None, None])
    assert (response.status_code, problem_fields(response)) == (422, ["pickup_campus"])


def test_a_recipient_name_longer_than_its_column_is_refused_on_every_database(client, teacher):
    response = submit(client, teacher, recipient={"name": "王" * 101, "phone": "13800000000"})
    assert (response.status_code, problem_fields(response)) == (422, ["recipient.name"])


def test_a_nul_character_in_a_phone_is_refused(client, teacher):
    response = submit(client, teacher, recipient={"name": "王", "phone": "138\x00"})
    assert (response.status_code, problem_fields(response)) == (422, ["recipient.phone"])


def test_a_nul_character_in_a_path_code_is_not_found(client):
    assert client.get("/api/catalog/items/AB%00C").status_code == 404


def test_a_path_code_longer_than_any_code_is_not_found(client):
    assert client.get("/api/catalog/items/" + "A" * 65).status_code == 404


def test_json_nested_a_hundred_thousand_deep_is_refused_at_its_first_bracket(client, teacher):
    deep = "[" * 100_000 + "]" * 100_000
    response = client.post(
        "/api/consignments", data=deep, content_type="application/json", headers=teacher
    )
    assert (response.status_code, problem_fields(response)) == (422, ["body"])


def test_deep_json_inside_an_ignored_field_is_a_400(client, teacher):
    deep = '{"service_item": "ACAD-001", "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = client.post(
        "/api/consignments", data=deep, content_type="application/json", headers=teacher
    )
    assert response.status_code == 400


def test_a_wrong_type_is_a_422_in_the_error_shape(client, teacher):
    response = submit(client, teacher, contents={"pages": "many"})
    error = response.get_json()["error"]
    assert (response.status_code, error["code"]) == (422, "invalid")
    assert error["problems"][0]["field"] == "contents.pages"
    assert "int" in error["problems"][0]["message"]


def test_an_empty_recipient_object_is_not_a_valid_recipient(client, teacher):
    response = submit(client, teacher, recipient={})
    assert (response.status_code, problem_fields(response)) == (422, ["recipient.name"])


def test_a_valid_submission_still_creates_a_consignment(client, teacher):
    response = submit(client, teacher, recipient={"self": True}, contents={"pages": 2})
    assert response.status_code == 201
    assert response.get_json()["state"] == "created"

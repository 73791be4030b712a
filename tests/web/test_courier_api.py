"""The courier through the API: the whole journey, scans, events, labels and refusals."""

import io
import uuid

import pytest
import zxingcpp
from PIL import Image

from core.users import Role
from courier.models import Consignment
from tests import factories


def bearer(client, session, login, *roles):
    factories.user(session, login, *roles)
    token = client.post(
        "/api/auth/token", json={"login": login, "password": factories.PASSWORD}
    ).get_json()["token"]
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def teacher(client, session, courier_world):
    return bearer(client, session, "wang", Role.TEACHER)


@pytest.fixture
def courier(client, session):
    return bearer(client, session, "zhao", Role.COURIER)


@pytest.fixture
def clerk(client, session):
    return bearer(client, session, "sun", Role.CLERK)


def submit(client, headers, **overrides):
    body = {
        "service_item": "ACAD-001",
        "recipient": {"self": True},
        "pickup_campus": None,
        "origin_campus": "NH",
        "contents": {"pages": 3, "documents": 1, "contains_originals": True},
        **overrides,
    }
    return client.post("/api/consignments", json=body, headers=headers)


def scan(client, headers, code, kind, location=None, scan_id=None):
    body = {"scans": [{"id": scan_id or str(uuid.uuid4()), "code": code, "kind": kind,
                       "location": location, "at": None}]}  # fmt: skip
    return client.post("/api/scans", json=body, headers=headers).get_json()["results"][0]


def event(client, headers, code, kind, **fields):
    return client.post(
        f"/api/consignments/{code}/events", json={"kind": kind, **fields}, headers=headers
    )


def test_the_full_journey_runs_through_the_api(client, teacher, courier, clerk):
    created = submit(client, teacher)
    assert created.status_code == 201
    code = created.get_json()["tracking_code"]
    assert created.get_json()["state"] == "created"
    steps = [
        ("deposit", "NH-STOP", "deposited"),
        ("collect", "NH-STOP", "collected"),
        ("load", "NH-STOP", "in_transit"),
        ("unload", "XL-STOP", "arrived"),
        ("sort", "XL-STOP", "sorted"),
    ]
    for kind, location, state in steps:
        result = scan(client, courier, code, kind, location)
        assert (result["ok"], result["state"]) == (True, state), result
    assert event(client, clerk, code, "agent_accepted").get_json()["state"] == "with_agent"
    assert event(client, clerk, code, "result_ready").get_json()["state"] == "result_ready"
    assert scan(client, courier, code, "load", "XL-STOP")["state"] == "return_in_transit"
    assert scan(client, courier, code, "unload", "NH-STOP")["state"] == "return_arrived"
    assert event(client, clerk, code, "placed_for_pickup").get_json()["state"] == "awaiting_pickup"
    assert event(client, clerk, code, "picked_up").get_json()["state"] == "picked_up"

    body = client.get(f"/api/consignments/{code}", headers=teacher).get_json()
    assert [e["kind"] for e in body["events"]] == [
        "created", "deposited", "collected", "loaded", "unloaded", "sorted", "agent_accepted",
        "result_ready", "loaded", "unloaded", "placed_for_pickup", "picked_up",
    ]  # fmt: skip
    assert body["route"]["ahead"] == []
    again = scan(client, courier, code, "collect", "NH-STOP")
    assert not again["ok"]
    assert "已于" in again["reason"]


def test_a_same_campus_consignment_skips_the_shuttle(client, teacher, courier, clerk):
    code = submit(client, teacher, origin_campus="XL").get_json()["tracking_code"]
    for kind in ("deposit", "collect"):
        scan(client, courier, code, kind, "XL-STOP")
    refused = scan(client, courier, code, "load", "XL-STOP")
    assert not refused["ok"]
    assert refused["code"] == "same_campus"
    assert scan(client, courier, code, "sort", "XL-STOP")["state"] == "sorted"


def test_a_scan_by_a_teacher_is_forbidden(client, teacher):
    code = submit(client, teacher).get_json()["tracking_code"]
    response = client.post(
        "/api/scans",
        json={"scans": [{"id": str(uuid.uuid4()), "code": code, "kind": "collect"}]},
        headers=teacher,
    )
    assert response.status_code == 403


def test_a_repeated_scan_returns_the_first_result(client, teacher, courier):
    code = submit(client, teacher).get_json()["tracking_code"]
    scan_id = str(uuid.uuid4())
    first = scan(client, courier, code, "deposit", scan_id=scan_id)
    second = scan(client, courier, code, "deposit", scan_id=scan_id)
    assert first == second
    events = client.get(f"/api/consignments/{code}", headers=teacher).get_json()["events"]
    assert len(events) == 2


def test_a_forged_code_is_refused_in_a_batch_without_failing_the_others(client, teacher, courier):
    code = submit(client, teacher).get_json()["tracking_code"]
    body = {
        "scans": [
            {"id": str(uuid.uuid4()), "code": "FORGED0000000", "kind": "deposit"},
            {"id": str(uuid.uuid4()), "code": code, "kind": "deposit"},
        ]
    }
    results = client.post("/api/scans", json=body, headers=courier).get_json()["results"]
    assert [r["ok"] for r in results] == [False, True]
    assert results[0]["code"] == "forged"


def test_a_malformed_scan_batch_is_a_clear_400(client, courier):
    response = client.post("/api/scans", json={"scans": "nope"}, headers=courier)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid"


def test_refusals_follow_the_callers_language(client, teacher, courier):
    code = submit(client, teacher).get_json()["tracking_code"]
    body = {"scans": [{"id": str(uuid.uuid4()), "code": code, "kind": "sort"}]}
    english = client.post(
        "/api/scans", json=body, headers={**courier, "Accept-Language": "en"}
    ).get_json()["results"][0]
    assert english["reason"].startswith("Cannot record Sorted now: the envelope is created since")


def test_an_out_of_order_event_is_a_409_with_the_reason(client, teacher, clerk):
    code = submit(client, teacher).get_json()["tracking_code"]
    response = event(client, clerk, code, "result_ready")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "out_of_order"


def test_recording_a_creation_by_hand_is_forbidden_to_everyone(client, session, teacher):
    code = submit(client, teacher).get_json()["tracking_code"]
    admin = bearer(client, session, "root", Role.ADMIN)
    assert event(client, admin, code, "created").status_code == 403


def test_only_the_submitter_cancels_before_collection(client, session, teacher, courier):
    code = submit(client, teacher).get_json()["tracking_code"]
    other = bearer(client, session, "chen", Role.TEACHER)
    assert event(client, other, code, "cancelled").status_code == 403
    assert event(client, teacher, code, "cancelled").get_json()["state"] == "cancelled"


def test_a_damaged_report_needs_a_real_photo(client, teacher, courier, jpeg):
    code = submit(client, teacher).get_json()["tracking_code"]
    scan(client, courier, code, "deposit")
    bad = client.post(
        "/api/photos",
        data={"photo": (io.BytesIO(b"not an image"), "x.jpg")},
        headers=courier,
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422
    assert event(client, courier, code, "damaged").status_code == 409
    photo = client.post(
        "/api/photos",
        data={"photo": (io.BytesIO(jpeg), "damage.jpg")},
        headers=courier,
        content_type="multipart/form-data",
    ).get_json()
    response = event(client, courier, code, "damaged", photo_id=photo["id"], notes="角被压皱")
    assert response.status_code == 201
    assert client.get(f"/api/consignments/{code}", headers=teacher).get_json()["damaged"]


def test_a_consignment_for_a_retired_item_is_refused(client, session, teacher):
    from catalog.items import retire_item

    retire_item(session, "ACAD-001")
    response = submit(client, teacher)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "item_not_offered"


def test_my_consignments_are_listed(client, teacher):
    code = submit(client, teacher).get_json()["tracking_code"]
    mine = client.get("/api/consignments?mine=1", headers=teacher).get_json()["consignments"]
    assert [c["tracking_code"] for c in mine] == [code]


def test_another_users_consignment_is_hidden(client, session, teacher):
    code = submit(client, teacher).get_json()["tracking_code"]
    other = bearer(client, session, "li", Role.STUDENT)
    assert client.get(f"/api/consignments/{code}", headers=other).status_code == 403


@pytest.mark.parametrize("fmt", ["thermal", "a6"])
def test_the_label_downloads_and_decodes_to_the_code(client, teacher, fmt):
    code = submit(client, teacher).get_json()["tracking_code"]
    response = client.get(f"/api/consignments/{code}/label?format={fmt}", headers=teacher)
    assert response.mimetype == "image/png"
    texts = {r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(response.data)))}
    assert code in texts
    assert f"http://127.0.0.1:8000/t/{code}" in texts


def test_the_sheet_label_is_a_pdf(client, teacher):
    code = submit(client, teacher).get_json()["tracking_code"]
    response = client.get(f"/api/consignments/{code}/label?format=sheet", headers=teacher)
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")


def test_an_unknown_label_format_is_refused(client, teacher):
    code = submit(client, teacher).get_json()["tracking_code"]
    response = client.get(f"/api/consignments/{code}/label?format=svg", headers=teacher)
    assert response.status_code == 422


def test_the_events_of_a_consignment_are_listed_in_order(client, teacher, courier):
    code = submit(client, teacher).get_json()["tracking_code"]
    scan(client, courier, code, "deposit", "NH-STOP")
    body = client.get(f"/api/consignments/{code}/events", headers=teacher).get_json()
    assert [e["kind"] for e in body["events"]] == ["created", "deposited"]
    assert body["events"][1]["location"]["code"] == "NH-STOP"


def test_administrators_see_how_many_forged_codes_were_refused(client, session, courier):
    body = {"scans": [{"id": str(uuid.uuid4()), "code": "FORGED0000000", "kind": "collect"}]}
    client.post("/api/scans", json=body, headers=courier)
    admin = bearer(client, session, "root", Role.ADMIN)
    metrics = client.get("/api/metrics", headers=admin).get_json()
    assert metrics["forged_scans_total"] == 1
    assert metrics["forged_codes_since_start"] >= 1


def test_a_submission_replayed_with_its_idempotency_key_makes_one_consignment(
    client, session, teacher
):
    headers = {**teacher, "Idempotency-Key": "submit-1"}
    first, second = submit(client, headers), submit(client, headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.get_json()["tracking_code"] == second.get_json()["tracking_code"]
    assert session.query(Consignment).count() == 1


def test_an_idempotency_key_sent_with_another_submission_is_refused(client, session, teacher):
    headers = {**teacher, "Idempotency-Key": "submit-1"}
    submit(client, headers)
    refused = submit(client, headers, contents={"pages": 9, "documents": 1})
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "key_reused"

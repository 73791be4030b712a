"""The network's pages and the ETA in the web layer and the API."""

import datetime as dt
import io
import re

import pytest

from core.users import Role
from courier.scans import Scan, process_scans
from routes.manifests import build_due, close_departed
from routes.models import ServicePeriod
from routes.network import changed
from routes.plans import replan
from tests import factories
from tests.conftest import login
from tests.factories import LABEL_KEY
from tests.pages import visible_text
from tests.routes.conftest import TIMETABLE


@pytest.fixture
def admin(client, session):
    factories.user(session, "root", Role.ADMIN)
    login(client, "root")


@pytest.fixture
def courier(client, session):
    factories.user(session, "zhao", Role.COURIER)
    login(client, "zhao")


def bearer(client, session):
    factories.user(session, "wang", Role.TEACHER)
    session.flush()
    token = client.post("/api/auth/token", json={"login": "wang", "password": "password123"})
    return {"Authorization": f"Bearer {token.get_json()['token']}"}


def upload(client, text):
    return client.post(
        "/network/timetable",
        data={"file": (io.BytesIO(text.encode()), "timetable.csv")},
        content_type="multipart/form-data",
    )


def test_an_administrator_uploads_a_timetable_and_sees_its_trips(client, session, admin, network):
    response = upload(client, TIMETABLE)
    assert response.status_code == 302
    page = client.get("/network/timetable").get_data(as_text=True)
    assert "NX-1030" in page
    assert "XD-1230" in page


def test_a_bad_timetable_shows_the_rows_at_fault(client, session, admin, network):
    bad = TIMETABLE.replace("XL-STOP,08:10", "MOON,08:10")
    response = upload(client, bad)
    assert response.status_code == 422
    assert re.search(r"3.*MOON", response.get_data(as_text=True))


def test_the_timetable_exports_as_csv(client, session, admin, network):
    response = client.get("/network/timetable.csv")
    assert response.mimetype == "text/csv"
    assert response.get_data(as_text=True).startswith("trip,line,vehicle")


def test_the_network_diagram_is_an_svg_with_a_node_per_campus(client, session, admin, network):
    response = client.get("/network/diagram.svg")
    assert response.mimetype == "image/svg+xml"
    svg = response.get_data(as_text=True)
    assert svg.count('class="campus-node"') == 3
    assert 'data-rides="' in svg


def test_today_s_departures_show_the_envelopes_planned(client, session, courier, network, at):
    with at(2026, 11, 17, 9, 30):
        replan(session, factories.consignment(session))
        session.flush()
        page = client.get("/network/departures").get_data(as_text=True)
    assert re.search(r'data-test="planned-NX-1030">1<', page)


def test_the_manifest_is_a_checklist_of_the_departure(client, session, courier, network, at):
    with at(2026, 11, 17, 9, 30):
        consignment = factories.consignment(session)
        replan(session, consignment)
    with at(2026, 11, 17, 9, 50):
        [manifest] = build_due(session)
        session.flush()
        page = client.get(f"/network/manifests/{manifest.id}").get_data(as_text=True)
    assert f'data-test="item-load-{consignment.tracking_code}"' in page
    assert "NH-BOX" in page


def test_a_hub_page_lists_its_missed_departures(client, session, courier, network, at):
    with at(2026, 11, 17, 9, 30):
        consignment = factories.consignment(session)
        replan(session, consignment)
    with at(2026, 11, 17, 9, 50):
        build_due(session)
    with at(2026, 11, 17, 10, 20):
        scans = [("deposit", "NH-BOX"), ("collect", "NH-BOX")]
        process_scans(
            session,
            factories.user(session, None, Role.COURIER),
            [Scan(id=f"s-{kind}", code=consignment.tracking_code, kind=kind, location=place)
             for kind, place in scans],
            LABEL_KEY,
        )  # fmt: skip
    with at(2026, 11, 17, 10, 45):
        close_departed(session)
        session.flush()
        text = visible_text(client.get("/network/hubs/NH-STOP"))
    assert f"{consignment.tracking_code} NX-1030 11-17 10:30 11-17 14:55 11-17 10:45" in text


def test_the_api_gives_the_eta_and_the_route_from_the_plan(client, session, network, at):
    factories.department(session, "DXL", campus=factories.campus(session, "XL"))
    item = factories.item(session, code="XL-001", department="DXL", campuses=["XL"])
    with at(2026, 11, 17, 9, 30):
        headers = bearer(client, session)
        created = client.post(
            "/api/consignments",
            json={"service_item": item.code, "origin_campus": "NH"},
            headers=headers,
        )
        assert created.status_code == 201, created.get_json()
        assert created.get_json()["eta"] == "2026-11-17T03:25:00+00:00"
        code = created.get_json()["tracking_code"]
        shown = client.get(f"/api/consignments/{code}", headers=headers).get_json()
    assert shown["route"]["legs"][0]["trip"] == "NX-1030"
    assert shown["route"]["eta_changes"][0]["new_eta"] == "2026-11-17T03:25:00+00:00"


def test_an_unreachable_destination_is_refused_at_submission_with_the_date(
    client, session, network, at
):
    session.add(
        ServicePeriod(name="寒假", starts_on=dt.date(2026, 11, 16), ends_on=dt.date(2026, 11, 30))
    )
    factories.department(session, "DDJ", campus=factories.campus(session, "DJ"))
    item = factories.item(session, code="DJ-001", department="DDJ", campuses=["DJ"])
    changed(session)
    with at(2026, 11, 17, 9, 30):
        headers = bearer(client, session)
        refused = client.post(
            "/api/consignments",
            json={"service_item": item.code, "origin_campus": "NH"},
            headers=headers,
        )
        accepted = client.post(
            "/api/consignments",
            json={"service_item": item.code, "origin_campus": "NH", "accept_later": True},
            headers=headers,
        )
    assert refused.status_code == 422
    assert refused.get_json()["error"]["code"] == "unreachable"
    assert "2026-12-01" in refused.get_json()["error"]["message"]
    assert accepted.status_code == 201


def test_the_public_tracking_page_shows_the_eta(client, session, network, at):
    with at(2026, 11, 17, 9, 30):
        consignment = factories.consignment(session)
        replan(session, consignment)
        session.flush()
        page = client.get(f"/t/{consignment.tracking_code}").get_data(as_text=True)
    assert "2026-11-17 11:25" in page


def test_the_timetable_page_is_for_administrators_only(client, session, courier):
    assert client.get("/network/timetable").status_code == 403


def test_the_form_offers_to_accept_the_later_date_when_unreachable(client, session, network, at):
    session.add(
        ServicePeriod(name="寒假", starts_on=dt.date(2026, 11, 16), ends_on=dt.date(2026, 11, 30))
    )
    factories.department(session, "DDJ", campus=factories.campus(session, "DJ"))
    item = factories.item(session, code="DJ-002", department="DDJ", campuses=["DJ"])
    changed(session)
    factories.user(session, "li", Role.TEACHER)
    with at(2026, 11, 17, 9, 30):
        login(client, "li")
        form = {"service_item": item.code, "origin_campus": "NH", "pickup_campus": "NH"}
        refused = client.post("/consignments/new", data={**form, "recipient": "self"})
        accepted = client.post(
            "/consignments/new", data={**form, "recipient": "self", "accept_later": "1"}
        )
    assert refused.status_code == 422
    assert 'data-test="accept-later"' in refused.get_data(as_text=True)
    assert accepted.status_code == 302


def test_an_administrator_adds_a_vacation_and_the_xl_dj_shuttle_stops(
    client, session, admin, network
):
    response = client.post(
        "/network/periods",
        data={"name": "寒假", "starts_on": "2027-01-10", "ends_on": "2027-02-20"},
    )
    assert response.status_code == 302
    assert session.query(ServicePeriod).one().name == "寒假"
    overlapping = client.post(
        "/network/periods",
        data={"name": "春节", "starts_on": "2027-02-01", "ends_on": "2027-02-25"},
    )
    assert overlapping.status_code == 422


def test_drop_boxes_are_set_to_empty_before_each_departure(client, session, admin, network):
    response = client.post(
        "/network/rounds",
        data={"location": "NH-BOX", "stop_id": network["NH-STOP"].id, "minutes_before": "30"},
    )
    assert response.status_code == 302
    page = client.get("/network/timetable").get_data(as_text=True)
    assert "07:00" in page
    assert "13:30" in page


def test_the_couriers_home_lists_only_the_runs_still_to_leave(
    client, session, courier, network, at
):
    with at(2026, 11, 17, 12, 0):
        page = client.get("/me").get_data(as_text=True)
    runs = page.split('data-test="runs"')[1].split("</ul>")[0]
    assert "NX-1030" not in runs
    assert re.search(r"1[3-9]:\d\d <code>", runs)

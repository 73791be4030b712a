"""The courier's offline app on the server side: the service worker, the manifest and its icons,
the session check the queue asks before sending, and a 401 (not a login page) for its scripts."""

import io
import uuid

import pytest
from PIL import Image
from sqlalchemy import func, select

from core.users import Role
from courier.models import CustodyEvent
from courier.states import Kind
from tests import factories
from tests.conftest import login


@pytest.fixture
def courier(client, session, courier_world):
    factories.user(session, "zhao", Role.COURIER)
    login(client, "zhao", factories.PASSWORD)


def test_the_service_worker_may_serve_the_checklists_outside_its_folder(client):
    response = client.get("/courier/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"


def test_the_service_worker_is_always_checked_for_a_newer_version(client):
    assert client.get("/courier/sw.js").headers["Cache-Control"] == "no-cache"


def test_the_manifest_starts_on_the_scan_page_as_a_standalone_app(client):
    response = client.get("/courier/app.webmanifest?lang=zh_CN")
    manifest = response.get_json(force=True)
    assert response.mimetype == "application/manifest+json"
    assert (manifest["start_url"], manifest["display"]) == ("/courier/scan", "standalone")
    assert manifest["name"] == "校园快递扫描"


def test_the_manifest_speaks_the_language_of_the_page_that_links_it(client):
    manifest = client.get("/courier/app.webmanifest?lang=en").get_json(force=True)
    assert manifest["short_name"] == "Scan"


@pytest.mark.parametrize("size", [192, 512])
def test_each_icon_the_manifest_lists_is_a_png_of_its_size(client, size):
    manifest = client.get("/courier/app.webmanifest").get_json(force=True)
    [src] = {icon["src"] for icon in manifest["icons"] if icon["sizes"] == f"{size}x{size}"}
    image = Image.open(io.BytesIO(client.get(src).data))
    assert (image.format, image.size) == ("PNG", (size, size))


def test_an_icon_size_the_manifest_does_not_list_is_not_found(client):
    assert client.get("/courier/icons/64.png").status_code == 404


def test_the_scan_page_links_the_manifest(client, courier):
    page = client.get("/courier/scan").get_data(as_text=True)
    assert '<link rel="manifest" href="/courier/app.webmanifest?lang=zh_CN">' in page


def test_the_content_security_policy_allows_our_own_worker_and_manifest(client):
    policy = client.get("/courier/sw.js").headers["Content-Security-Policy"]
    assert "worker-src 'self'" in policy
    assert "manifest-src 'self'" in policy


def test_the_session_check_names_the_courier_and_gives_a_fresh_token(client, courier):
    response = client.get("/courier/session", headers={"Accept": "application/json"})
    answer = response.get_json()
    assert answer["login"] == "zhao"
    assert answer["csrf"]
    assert response.headers["Cache-Control"] == "no-store"


def test_an_ended_session_answers_the_queue_401_rather_than_the_login_page(client):
    response = client.post(
        "/courier/scans", json={"scans": []}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_an_ended_session_still_sends_a_browser_to_the_login_page(client):
    response = client.get("/courier/scan")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_a_batch_sent_again_after_logging_in_again_is_recorded_once(client, session, courier):
    consignment = factories.consignment(session, origin="NH", department_campus="XL")
    scan = {"id": str(uuid.uuid4()), "code": consignment.tracking_code, "kind": "deposit",
            "location": "NH-STOP"}  # fmt: skip
    first = client.post("/courier/scans", json={"scans": [scan]}).get_json()["results"]
    client.post("/logout")
    login(client, "zhao", factories.PASSWORD)
    again = client.post("/courier/scans", json={"scans": [scan]}).get_json()["results"]
    assert again == first
    deposits = select(func.count()).where(
        CustodyEvent.consignment_id == consignment.id, CustodyEvent.kind == Kind.DEPOSITED
    )
    assert session.scalar(deposits) == 1

import pytest

from tests.tickets.conftest import make_hall
from tickets.models import Ticket


@pytest.fixture
def hall(session, frozen_clock):
    return make_hall(session)


def token(client, login_name="zhou"):
    answer = client.post("/api/auth/token", json={"login": login_name, "password": "password123"})
    return {"Authorization": f"Bearer {answer.get_json()['token']}"}


def test_a_kiosk_takes_a_ticket_without_logging_in(client, hall):
    response = client.post("/api/tickets", json={"category": "A", "phone": "13900000000"})
    assert response.status_code == 201
    body = response.get_json()
    assert (body["number"], body["people_ahead"], body["status"]) == ("A001", 0, "waiting")
    assert "phone" not in body


def test_an_unknown_queue_is_a_404(client, hall):
    response = client.post("/api/tickets", json={"category": "Z"})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "no_category"


def test_a_window_calls_the_next_ticket_through_the_api(client, hall):
    taken = client.post("/api/tickets", json={"category": "A"}).get_json()
    called = client.post("/api/windows/1/call-next", headers=token(client))
    assert called.status_code == 200
    assert (called.get_json()["id"], called.get_json()["window"]) == (taken["id"], 1)
    shown = client.get(f"/api/tickets/{taken['id']}").get_json()
    assert (shown["status"], shown["calls"]) == ("called", 1)


def test_finishing_a_ticket_never_started_is_refused_through_the_api(client, hall):
    client.post("/api/tickets", json={"category": "A"})
    headers = token(client)
    client.post("/api/windows/1/call-next", headers=headers)
    refused = client.post("/api/windows/1/finish", headers=headers)
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "not_started"


def test_calling_at_a_window_without_staff_is_refused(client, hall):
    client.post("/api/tickets", json={"category": "A"})
    refused = client.post("/api/windows/2/call-next", headers=token(client))
    assert refused.get_json()["error"]["code"] == "no_staff"


def test_calls_are_listed_after_an_id(client, hall):
    client.post("/api/tickets", json={"category": "B"})
    client.post("/api/windows/1/call-next", headers=token(client))
    calls = client.get("/api/hall/calls?after=0").get_json()["calls"]
    assert [(c["number"], c["window"]) for c in calls] == [("B001", 1)]


def test_a_ticket_replayed_with_its_idempotency_key_is_the_same_ticket(client, session, hall):
    headers = {"Idempotency-Key": "kiosk-3-0001"}
    first = client.post("/api/tickets", json={"category": "A"}, headers=headers)
    second = client.post("/api/tickets", json={"category": "A"}, headers=headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.get_json()["id"] == second.get_json()["id"]
    assert session.query(Ticket).count() == 1


def test_an_idempotency_key_longer_than_64_characters_is_refused(client, hall):
    headers = {"Idempotency-Key": "k" * 65}
    refused = client.post("/api/tickets", json={"category": "A"}, headers=headers)
    assert refused.status_code == 422
    assert refused.get_json()["error"]["problems"][0]["field"] == "Idempotency-Key"

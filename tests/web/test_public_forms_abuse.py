"""Public forms and the API refuse numbers that are not mobiles, broadcast ids and floods."""

import pytest

from core.throttle import TICKETS
from core.users import Role, issue_token
from notifications.models import Preference
from tests import factories
from tests.conftest import login
from tests.tickets.conftest import make_hall


@pytest.fixture
def hall(session, frozen_clock):
    return make_hall(session)


def test_the_api_refuses_a_ticket_for_an_international_number(client, hall):
    response = client.post("/api/tickets", json={"category": "A", "phone": "+882 1234 5679"})
    assert response.status_code == 422
    assert response.json["error"]["problems"][0]["field"] == "phone"


def test_the_kiosk_refuses_a_five_digit_phone(client, hall):
    response = client.post(
        "/hall/kiosk/take", data={"category": "A", "phone": "12345"}, follow_redirects=True
    )
    assert "可接收短信的手机号码" in response.get_data(as_text=True)
    assert "/tickets/" not in response.request.path


def test_anonymous_tickets_from_one_address_are_throttled_with_retry_after(client, hall):
    allowed = TICKETS.limits[0].amount
    statuses = [
        client.post("/api/tickets", json={"category": "A"}).status_code for _ in range(allowed + 1)
    ]
    assert statuses[:allowed] == [201] * allowed
    assert statuses[-1] == 429
    refused = client.post("/api/tickets", json={"category": "A"})
    assert int(refused.headers["Retry-After"]) > 0


def test_a_signed_in_caller_is_not_held_by_the_anonymous_ticket_throttle(client, session, hall):
    token = issue_token(session, factories.user(session, "li", Role.STUDENT))
    session.flush()
    for _ in range(TICKETS.limits[0].amount + 1):
        response = client.post(
            "/api/tickets", json={"category": "A"}, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 201


@pytest.mark.parametrize("wechat_id", ["@all", "zhang|li", "", "x" * 65])
def test_a_wechat_id_outside_the_providers_format_is_not_saved(client, session, wechat_id):
    user = factories.user(session, "li", Role.STUDENT)
    login(client, "li")
    client.post(
        "/notifications/preferences",
        data={"channel": "wechat", "language": "zh_CN", "wechat_id": wechat_id or " | "},
    )
    stored = session.get(Preference, user.id)
    assert stored is None or stored.wechat_id is None


def test_a_wechat_member_id_is_saved(client, session):
    user = factories.user(session, "li", Role.STUDENT)
    login(client, "li")
    client.post(
        "/notifications/preferences",
        data={"channel": "wechat", "language": "zh_CN", "wechat_id": "LiXiao.2024"},
    )
    assert session.get(Preference, user.id).wechat_id == "LiXiao.2024"

"""好差评 through the API follows the same rules as the pages."""

import pytest

from feedback import follow_ups
from tests import factories
from tests.feedback.helpers import collected


def token(client, login):
    answer = client.post("/api/auth/token", json={"login": login, "password": factories.PASSWORD})
    return {"Authorization": f"Bearer {answer.get_json()['token']}"}


@pytest.fixture
def handled(session, frozen_clock):
    handled = collected(session)
    session.flush()
    return handled


def rate(client, handled, level, **extra):
    return client.post(
        f"/api/consignments/{handled.consignment.tracking_code}/rating",
        json={"level": level, **extra},
        headers=token(client, "zhang_t"),
    )


def test_a_poor_rating_through_the_api_opens_a_follow_up(client, handled):
    answer = rate(client, handled, 1, reasons=["slow"], comment="太慢")
    assert answer.status_code == 201
    assert answer.get_json()["follow_up"] is not None


def test_a_second_rating_through_the_api_is_a_conflict(client, handled):
    rate(client, handled, 5)
    assert rate(client, handled, 1).status_code == 409


def test_a_level_off_the_scale_is_refused_naming_the_field(client, handled):
    answer = rate(client, handled, 7)
    assert answer.status_code == 422
    assert answer.get_json()["error"]["problems"][0]["field"] == "level"


def test_the_agent_lists_and_rectifies_through_the_api(client, handled):
    follow_up_id = rate(client, handled, 2).get_json()["follow_up"]
    agent = token(client, "wang")
    assert [f["id"] for f in client.get("/api/follow-ups", headers=agent).get_json()] == [
        follow_up_id
    ]
    answer = client.post(
        f"/api/follow-ups/{follow_up_id}/rectification", json={"note": "已致歉"}, headers=agent
    )
    assert answer.get_json()["state"] == "rectified"


def test_the_appeal_and_the_review_go_through_the_api(client, session, handled):
    follow_up_id = rate(client, handled, 2).get_json()["follow_up"]
    follow_ups.rectify(session, follow_ups.get(session, follow_up_id, handled.agent),
                       handled.agent, "已致歉")  # fmt: skip
    session.flush()
    client.post(
        f"/api/follow-ups/{follow_up_id}/appeal",
        json={"reason": "没有解决"},
        headers=token(client, "zhang_t"),
    )
    answer = client.post(
        f"/api/follow-ups/{follow_up_id}/review",
        json={"decision": "accepted"},
        headers=token(client, "wang_admin"),
    )
    assert (answer.get_json()["state"], answer.get_json()["decision"]) == ("closed", "accepted")


def test_the_rater_may_not_rectify_through_the_api(client, handled):
    follow_up_id = rate(client, handled, 2).get_json()["follow_up"]
    answer = client.post(
        f"/api/follow-ups/{follow_up_id}/rectification",
        json={"note": "我自己整改"},
        headers=token(client, "zhang_t"),
    )
    assert answer.status_code == 403

from dataclasses import replace

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from core.config import TwilioSettings
from core.outbox import OutboxMessage, OutboxStatus, enqueue
from core.users import Role, User
from notifications.models import ChannelChoice, Preference
from tests import factories
from tests.conftest import login
from tests.web.test_courier_api import bearer

TOKEN = "twilio-test-token"
CALLBACK = "/api/notifications/twilio-status"


@pytest.fixture
def sent(session):
    row = enqueue(session, "sms", "+8613800000001", {"text": "取件码 ******"}, "n1")
    row.status = OutboxStatus.SENT
    row.provider, row.provider_message_id = "twilio", "SM42"
    session.flush()
    return row


@pytest.fixture
def twilio_token(app):
    """Twilio configured with the token the callbacks below are signed with."""
    settings = app.config["COURIER_SETTINGS"]
    app.config["COURIER_SETTINGS"] = replace(settings, twilio=TwilioSettings(auth_token=TOKEN))


def signed(url: str, form: dict[str, str], token: str = TOKEN) -> dict[str, str]:
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(url, form)}


def test_a_signed_status_callback_records_the_delivery(client, session, sent, twilio_token):
    form = {"MessageSid": "SM42", "MessageStatus": "delivered", "To": "+8613800000001"}
    answer = client.post(CALLBACK, data=form, headers=signed("http://localhost" + CALLBACK, form))
    session.expire_all()
    assert answer.status_code == 204
    assert session.get(OutboxMessage, sent.id).delivery_status == "delivered"


def test_a_forged_status_callback_is_refused(client, session, sent, twilio_token):
    form = {"MessageSid": "SM42", "MessageStatus": "failed"}
    forged = signed("http://localhost" + CALLBACK, form, token="someone-elses-token")
    answer = client.post(CALLBACK, data=form, headers=forged)
    session.expire_all()
    assert answer.status_code == 403
    assert session.get(OutboxMessage, sent.id).delivery_status is None


def test_a_status_callback_is_refused_while_twilio_is_not_configured(client, sent):
    form = {"MessageSid": "SM42", "MessageStatus": "delivered"}
    answer = client.post(CALLBACK, data=form, headers=signed("http://localhost" + CALLBACK, form))
    assert answer.status_code == 403


def test_a_user_chooses_how_to_be_notified(client, session):
    user = factories.user(session, "pref_user", Role.STUDENT, phone="+8613800000002")
    login(client, "pref_user")
    assert "短信" in client.get("/notifications/preferences").get_data(as_text=True)
    answer = client.post(
        "/notifications/preferences",
        data={"channel": "both", "language": "en", "wechat_id": "pref_user"},
    )
    session.expire_all()
    stored = session.get(Preference, user.id)
    assert answer.status_code == 302
    assert (stored.channel, stored.language, stored.wechat_id) == (
        ChannelChoice.BOTH,
        "en",
        "pref_user",
    )


def test_the_preferences_page_needs_a_login(client):
    assert client.get("/notifications/preferences").status_code in (302, 401)


def test_the_admin_page_lists_dead_notices_with_a_resend_button(client, session):
    row = enqueue(session, "sms", "+8613800000003", {"text": "提醒：请取件"}, "dead1")
    row.status, row.attempts, row.last_error = OutboxStatus.DEAD, 5, "twilio 500"
    factories.user(session, "notice_admin", Role.ADMIN)
    login(client, "notice_admin")
    page = client.get("/admin/notifications?status=dead").get_data(as_text=True)
    assert "提醒：请取件" in page
    assert f'data-test="resend-{row.id}"' in page
    client.post(f"/admin/notifications/{row.id}/resend")
    session.expire_all()
    again = session.get(OutboxMessage, row.id)
    assert (again.status, again.attempts) == (OutboxStatus.PENDING, 0)


def test_the_admin_page_is_for_administrators(client, session):
    factories.user(session, "not_admin", Role.TEACHER)
    login(client, "not_admin")
    assert client.get("/admin/notifications").status_code == 403


def test_the_api_lists_the_notices_sent_to_a_number(client, session, sent):
    enqueue(session, "sms", "+8613800000009", {"text": "other"}, "n2")
    headers = bearer(client, session, "api_admin", Role.ADMIN)
    rows = client.get("/api/notifications?to=%2B8613800000001", headers=headers).get_json()
    assert [(r["id"], r["status"], r["provider_message_id"]) for r in rows["notifications"]] == [
        (sent.id, "sent", "SM42")
    ]


def test_the_notifications_api_is_for_administrators(client, session):
    headers = bearer(client, session, "api_teacher", Role.TEACHER)
    assert client.get("/api/notifications", headers=headers).status_code == 403


def test_the_resend_button_leaves_a_notice_being_sent_alone(client, session):
    row = enqueue(session, "sms", "+8613800000004", {"text": "x"}, "busy")
    row.status = OutboxStatus.SENDING
    factories.user(session, "busy_admin", Role.ADMIN)
    login(client, "busy_admin")
    client.post(f"/admin/notifications/{row.id}/resend")
    session.expire_all()
    assert session.scalar(select(OutboxMessage.status).where(OutboxMessage.id == row.id)) == (
        OutboxStatus.SENDING
    )


def test_the_sites_language_is_the_notices_for_people_who_chose_none(
    settings, session, restored_notice_language
):
    from notifications.notify import notify
    from web.app import create_app

    create_app(replace(settings, language="en"))
    turn = {"ticket": "A1", "ahead": 2, "area": "Hall"}
    (row,) = notify(session, "turn_near", phone="+8613800000011", params=turn, dedupe_key="web")
    assert row.payload["language"] == "en"


def test_the_preferences_page_saves_the_mobile_number(client, session):
    user = factories.user(session, "pref_phone", Role.STUDENT)
    login(client, "pref_phone")
    answer = client.post(
        "/notifications/preferences",
        data={"channel": "sms", "language": "zh_CN", "phone": "139 0013 9000", "wechat_id": ""},
    )
    session.expire_all()
    assert answer.status_code == 302
    assert session.get(User, user.id).phone == "13900139000"


def test_a_number_that_is_not_a_mobile_is_explained_next_to_its_field(client, session):
    user = factories.user(session, "pref_phone", Role.STUDENT, phone="13800138000")
    login(client, "pref_phone")
    answer = client.post(
        "/notifications/preferences",
        data={"channel": "sms", "language": "zh_CN", "phone": "138000000", "wechat_id": "@all"},
    )
    page = answer.get_data(as_text=True)
    session.expire_all()
    assert answer.status_code == 422
    assert "请填写可接收短信的手机号码" in page.split('data-test="phone-problem"')[1]
    assert "不能是 @all" in page.split('data-test="wechat-problem"')[1]
    assert 'value="138000000"' in page
    assert session.get(User, user.id).phone == "13800138000"


def test_the_field_problems_follow_the_chosen_language(client, session):
    factories.user(session, "pref_phone", Role.STUDENT)
    login(client, "pref_phone")
    with client.session_transaction() as browser:
        browser["lang"] = "en"
    page = client.post(
        "/notifications/preferences",
        data={"channel": "sms", "language": "en", "phone": "12345", "wechat_id": "a|b"},
    ).get_data(as_text=True)
    assert "Enter a mobile number we can text" in page
    assert "Use one WeCom member ID" in page


WAITING = {
    "template": "pickup_ready",
    "params": {"code": "482913", "link": "https://c.example/p/7-ab-cd"},
    "text": "取件码 482913 https://c.example/p/7-ab-cd",
}


def test_the_admin_page_hides_the_code_of_a_notice_still_waiting_to_go_out(client, session):
    enqueue(session, "sms", "+8613800000005", WAITING, "ready:1")
    factories.user(session, "notice_admin", Role.ADMIN)
    login(client, "notice_admin")
    page = client.get("/admin/notifications").get_data(as_text=True)
    assert "取件码 ****** ******" in page
    assert "482913" not in page


def test_the_api_hides_the_code_of_a_notice_still_waiting_to_go_out(client, session):
    enqueue(session, "sms", "+8613800000005", WAITING, "ready:1")
    headers = bearer(client, session, "api_admin", Role.ADMIN)
    (row,) = client.get("/api/notifications", headers=headers).get_json()["notifications"]
    assert row["text"] == "取件码 ****** ******"

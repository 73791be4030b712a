"""The real twilio SDK and wechatpy against a local server playing Twilio and WeCom."""

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from pytest_httpserver import HTTPServer
from sqlalchemy import select
from werkzeug import Response

from core.config import TwilioSettings, WeComSettings
from core.outbox import OutboxStatus, enqueue
from notifications.dispatcher import Dispatcher
from tests.notifications.conftest import ACCOUNT, FROM, messages_path, reload, twilio_message

TO = "+8613800000001"


def until(check: Callable[[], Any], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.01)


def sms(session, text="您的材料已可取件，取件码 123456", key="n1", **params):
    return enqueue(session, "sms", TO, {"text": text, "params": params}, key)


def test_twilio_accepts_the_sms_and_its_message_id_is_kept(
    session, httpserver: HTTPServer, twilio_dispatcher, frozen_clock
):
    row = sms(session)
    httpserver.expect_oneshot_request(messages_path(), method="POST").respond_with_json(
        twilio_message("SM1", TO, row.payload["text"]), status=201
    )
    twilio_dispatcher.run_once()
    (request, _response) = httpserver.log[0]
    row = reload(session, row)
    assert request.form["To"] == TO
    assert request.form["From"] == FROM
    assert request.form["Body"] == "您的材料已可取件，取件码 123456"
    assert request.authorization.username == ACCOUNT
    assert (row.status, row.provider, row.provider_message_id) == (
        OutboxStatus.SENT,
        "twilio",
        "SM1",
    )


def test_an_http_500_from_twilio_is_retried_later(
    session, httpserver: HTTPServer, twilio_dispatcher, frozen_clock
):
    row = sms(session)
    httpserver.expect_request(messages_path(), method="POST").respond_with_json(
        {"code": 20500, "message": "Internal Server Error", "status": 500}, status=500
    )
    tally = twilio_dispatcher.run_once()
    row = reload(session, row)
    assert tally.retrying == 1
    assert row.status == OutboxStatus.PENDING
    assert row.available_at > frozen_clock.now()
    assert "500" in row.last_error


def test_refused_credentials_are_retried_so_that_fixing_them_saves_the_notice(
    session, httpserver: HTTPServer, twilio_dispatcher, frozen_clock
):
    row = sms(session)
    httpserver.expect_request(messages_path(), method="POST").respond_with_json(
        {"code": 20003, "message": "Authenticate", "status": 401}, status=401
    )
    twilio_dispatcher.run_once()
    row = reload(session, row)
    assert row.status == OutboxStatus.PENDING
    assert "401" in row.last_error


def test_a_number_twilio_refuses_makes_the_notice_dead_at_once(
    session, httpserver: HTTPServer, twilio_dispatcher, frozen_clock
):
    row = sms(session, text="code 123456", code="123456")
    httpserver.expect_request(messages_path(), method="POST").respond_with_json(
        {"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400}, status=400
    )
    twilio_dispatcher.run_once()
    row = reload(session, row)
    assert row.status == OutboxStatus.DEAD
    assert "123456" not in row.payload["text"]


def test_a_crash_after_twilio_accepted_does_not_send_a_second_sms(
    session, httpserver: HTTPServer, sessions, twilio, frozen_clock
):
    row = sms(session)
    text = row.payload["text"]
    httpserver.expect_oneshot_request(messages_path(), method="POST").respond_with_json(
        twilio_message("SM7", TO, text), status=201
    )
    listed = [twilio_message("SM6", TO, "another"), twilio_message("SM7", TO, text)]
    httpserver.expect_request(messages_path(), method="GET").respond_with_json(
        {"messages": listed, "next_page_uri": None, "page": 0, "page_size": 50}
    )
    crashed = Dispatcher(sessions, {"sms": twilio})
    (notice,) = crashed.claim()
    twilio.send(notice)  # accepted; the process dies before it writes that down
    frozen_clock.advance(dt.timedelta(minutes=3))
    tally = Dispatcher(sessions, {"sms": twilio}).run_once()
    row = reload(session, row)
    posts = [r for r, _ in httpserver.log if r.method == "POST"]
    (lookup,) = [r for r, _ in httpserver.log if r.method == "GET"]
    assert len(posts) == 1
    assert (lookup.args["To"], lookup.args["From"]) == (TO, FROM)
    assert lookup.args["DateSent>"].startswith(
        frozen_clock.now().astimezone(dt.UTC).date().isoformat()
    )
    assert tally.reconciled == 1
    assert (row.status, row.provider_message_id) == (OutboxStatus.SENT, "SM7")


def test_a_crash_before_twilio_had_the_sms_sends_it_once_afterwards(
    session, httpserver: HTTPServer, sessions, twilio, frozen_clock
):
    row = sms(session)
    httpserver.expect_request(messages_path(), method="GET").respond_with_json(
        {"messages": [], "next_page_uri": None, "page": 0, "page_size": 50}
    )
    httpserver.expect_request(messages_path(), method="POST").respond_with_json(
        twilio_message("SM8", TO, row.payload["text"]), status=201
    )
    Dispatcher(sessions, {"sms": twilio}).claim()  # claimed, then the process died
    frozen_clock.advance(dt.timedelta(minutes=3))
    Dispatcher(sessions, {"sms": twilio}).run_once()
    row = reload(session, row)
    posts = [r for r, _ in httpserver.log if r.method == "POST"]
    assert len(posts) == 1
    assert (row.status, row.provider_message_id) == (OutboxStatus.SENT, "SM8")


def wechat(session, key="w1"):
    return enqueue(session, "wechat", "zhangsan", {"text": "材料已送达", "params": {}}, key)


def test_wecom_gets_the_message_with_a_token_fetched_once_and_cached(
    session, httpserver: HTTPServer, sessions, wecom, frozen_clock
):
    first, second = wechat(session, "w1"), wechat(session, "w2")
    httpserver.expect_oneshot_request("/cgi-bin/gettoken").respond_with_json(
        {"errcode": 0, "access_token": "TOKEN1", "expires_in": 7200}
    )
    httpserver.expect_request(
        "/cgi-bin/message/send", method="POST", query_string={"access_token": "TOKEN1"}
    ).respond_with_json({"errcode": 0, "errmsg": "ok", "msgid": "MSG1"})
    Dispatcher(sessions, {"wechat": wecom}).run_once()
    sent = [json.loads(r.data) for r, _ in httpserver.log if r.path.endswith("/message/send")]
    assert [reload(session, r).status for r in (first, second)] == [OutboxStatus.SENT] * 2
    assert reload(session, first).provider_message_id == "MSG1"
    assert sent[0]["touser"] == "zhangsan"
    assert sent[0]["text"]["content"] == "材料已送达"
    assert len(sent) == 2


def test_an_expired_wecom_token_is_fetched_again(
    session, httpserver: HTTPServer, sessions, wecom, frozen_clock
):
    row = wechat(session)
    tokens = iter(["OLD", "NEW"])
    httpserver.expect_request("/cgi-bin/gettoken").respond_with_handler(
        lambda _r: Response(
            f'{{"errcode":0,"access_token":"{next(tokens)}","expires_in":7200}}',
            content_type="application/json",
        )
    )
    httpserver.expect_request(
        "/cgi-bin/message/send", query_string={"access_token": "OLD"}
    ).respond_with_json({"errcode": 42001, "errmsg": "access_token expired"})
    httpserver.expect_request(
        "/cgi-bin/message/send", query_string={"access_token": "NEW"}
    ).respond_with_json({"errcode": 0, "errmsg": "ok", "msgid": "MSG2"})
    Dispatcher(sessions, {"wechat": wecom}).run_once()
    assert reload(session, row).provider_message_id == "MSG2"


def test_wecom_refusing_the_secret_is_retried_later(
    session, httpserver: HTTPServer, sessions, wecom, frozen_clock
):
    row = wechat(session)
    httpserver.expect_request("/cgi-bin/gettoken").respond_with_json(
        {"errcode": 40001, "errmsg": "invalid credential"}
    )
    Dispatcher(sessions, {"wechat": wecom}).run_once()
    row = reload(session, row)
    assert row.status == OutboxStatus.PENDING
    assert "40001" in row.last_error


def test_a_wecom_notice_interrupted_by_a_crash_waits_for_an_administrator(
    session, httpserver: HTTPServer, sessions, wecom, frozen_clock
):
    row = wechat(session)
    Dispatcher(sessions, {"wechat": wecom}).claim()
    frozen_clock.advance(dt.timedelta(minutes=3))
    tally = Dispatcher(sessions, {"wechat": wecom}).run_once()
    row = reload(session, row)
    assert tally.unknown == 1
    assert row.status == OutboxStatus.UNKNOWN
    assert not [r for r, _ in httpserver.log if r.path.endswith("/message/send")]


def test_only_configured_providers_are_used(sessions, settings):
    from notifications.senders import senders_for

    partly = replace(settings, twilio=TwilioSettings(account_sid=ACCOUNT))
    senders = senders_for(sessions, partly)
    assert {c: s.name for c, s in senders.items()} == {"sms": "console", "wechat": "console"}
    configured = senders_for(
        sessions,
        replace(
            settings,
            twilio=TwilioSettings(account_sid=ACCOUNT, auth_token="t", sender=FROM),
            wecom=WeComSettings(corp_id="c", secret="s", agent_id="1"),
        ),
    )
    assert {c: s.name for c, s in configured.items()} == {"sms": "twilio", "wechat": "wecom"}
    for sender in configured.values():
        sender.close()


def test_nothing_reaches_twilio_while_nothing_is_due(session, httpserver, twilio_dispatcher):
    twilio_dispatcher.run_once()
    assert httpserver.log == []
    assert session.scalar(select(1)) == 1


def test_twilio_is_told_where_to_report_delivery(
    session, httpserver: HTTPServer, sessions, settings
):
    from notifications.senders import senders_for

    twilio = TwilioSettings(ACCOUNT, "t", FROM, base_url=httpserver.url_for("/"))
    senders = senders_for(
        sessions, replace(settings, twilio=twilio, public_url="https://courier.example.edu/")
    )
    row = sms(session)
    httpserver.expect_request(messages_path(), method="POST").respond_with_json(
        twilio_message("SM9", TO, row.payload["text"]), status=201
    )
    Dispatcher(sessions, senders).run_once()
    for sender in senders.values():
        sender.close()
    (request, _response) = httpserver.log[0]
    assert request.form["StatusCallback"] == (
        "https://courier.example.edu/api/notifications/twilio-status"
    )

import re

import pytest
from sqlalchemy import select

from core import clock
from core.audit import AuditEntry
from core.users import Role
from firmware_bridge.models import Command, ControllerSequence, DeadLetter
from lockers.compartments import add_bank
from lockers.models import BankKind, Size
from tests import factories
from tests.conftest import login
from tests.pages import visible_text


@pytest.fixture
def banks(session):
    place = factories.location(session, "NH-LOCKER-1", "NH", kind="locker_site")
    add_bank(session, "NH-DB-01", "南湖投递柜", BankKind.DROP_BOX, place, [Size.M] * 3)
    add_bank(session, "NH-PU-01", "南湖取件柜", BankKind.PICKUP, place, [Size.S] * 3)


@pytest.fixture
def admin(client, session, banks):
    factories.user(session, "root", Role.ADMIN)
    login(client, "root")
    return client


def test_the_admin_page_shows_every_bank_and_its_compartments(admin):
    page = admin.get("/admin/lockers/").get_data(as_text=True)
    assert 'data-test="bank-NH-DB-01"' in page
    assert page.count('class="compartment state-free"') == 6


def test_a_remote_open_needs_a_reason_and_is_audited(admin, session):
    admin.post("/admin/lockers/NH-DB-01/open", data={"compartment": "2", "reason": ""})
    assert session.scalar(select(Command)) is None
    admin.post("/admin/lockers/NH-DB-01/open", data={"compartment": "2", "reason": "门卡住"})
    command = session.scalar(select(Command))
    assert (command.op, command.args, command.reason) == ("open", {"compartment": 2}, "门卡住")
    assert command.requested_by_id is not None


def test_a_command_row_says_what_the_command_does_in_words(admin):
    admin.post("/admin/lockers/NH-DB-01/open", data={"compartment": "2", "reason": "门卡住"})
    text = visible_text(admin.get("/admin/lockers/NH-DB-01"))
    assert "开门 · 2号格口" in text
    assert "等待发送" in text
    assert "pending" not in text


def test_the_dead_letters_page_shows_each_letters_topic_problem_and_payload(admin, session):
    session.add(
        DeadLetter(
            topic="cc/v1/NH/NH-DB-01/evt",
            payload=b'{"v": 1, "seq": "x"}',
            reason="seq is missing or not a positive integer",
            controller="NH-DB-01",
            received_at=clock.now(),
        )
    )
    session.flush()
    row = 'cc/v1/NH/NH-DB-01/evt seq is missing or not a positive integer {"v": 1, "seq": "x"}'
    assert row in visible_text(admin.get("/admin/dead-letters"))


def test_the_kiosk_says_a_wrong_code_is_wrong_and_sends_nothing(client, session, banks):
    page = client.post("/lockers/NH-PU-01/kiosk", data={"code": "123456"})
    assert "4" in visible_text(page)
    assert session.scalar(select(Command)) is None


def test_the_kiosk_refuses_a_code_that_is_not_six_digits(client, session, banks):
    client.post("/lockers/NH-PU-01/kiosk", data={"code": "12"})
    assert session.scalar(select(Command)) is None


def test_a_drop_box_has_no_kiosk(client, banks):
    assert client.get("/lockers/NH-DB-01/kiosk").status_code == 404


def test_the_lockers_page_is_for_administrators(client, session, banks):
    factories.user(session, "zhao", Role.COURIER)
    login(client, "zhao")
    assert client.get("/admin/lockers/").status_code == 403


def generation(session):
    session.expire_all()
    sequence = session.get(ControllerSequence, "NH-DB-01")
    return sequence.generation if sequence else 1


AFRESH = "/admin/lockers/NH-DB-01/sequence-afresh"


def test_the_locker_page_offers_to_start_the_sequence_afresh(admin):
    page = admin.get("/admin/lockers/NH-DB-01").get_data(as_text=True)
    assert 'data-test="sequence-afresh"' in page
    assert "data-confirm=" in page


def test_starting_the_sequence_afresh_needs_a_reason_and_the_confirmation(admin, session):
    admin.post(AFRESH, data={"reason": "主板更换"})
    admin.post(AFRESH, data={"reason": " ", "confirm": "1"})
    assert generation(session) == 1
    assert session.scalar(select(AuditEntry)) is None


def test_starting_the_sequence_afresh_from_the_page_is_audited(admin, session):
    page = admin.post(AFRESH, data={"reason": "主板更换", "confirm": "1"}, follow_redirects=True)
    assert generation(session) == 2
    entry = session.scalar(select(AuditEntry))
    assert (entry.action, entry.target, entry.details["reason"]) == (
        "locker.sequence_afresh",
        "NH-DB-01",
        "主板更换",
    )
    shown = re.search(r'data-test="sequence">([^<]*)<', page.get_data(as_text=True))
    assert re.findall(r"\d+", shown[1]) == ["2", "0"]  # generation 2, stored up to seq 0


def test_an_acknowledged_alert_leaves_the_list_is_audited_and_its_cause_may_return(admin, session):
    from lockers.alerts import raise_alert
    from lockers.compartments import bank_by_controller
    from lockers.models import AlertKind

    bank = bank_by_controller(session, "NH-DB-01")
    alert = raise_alert(session, AlertKind.EVENTS_LOST, "丢失 seq 5-7", bank=bank, cause="lost:5-7")
    assert "丢失 seq 5-7" in visible_text(admin.get("/admin/lockers/"))
    shown = visible_text(admin.post(f"/admin/lockers/alerts/{alert.id}/ack", follow_redirects=True))
    assert "告警已确认：丢失 seq 5-7" in shown
    assert f"alerts/{alert.id}/ack" not in admin.get("/admin/lockers/").get_data(as_text=True)
    entry = session.scalar(
        select(AuditEntry).where(AuditEntry.action == "locker.alert_acknowledged")
    )
    assert entry.target == "NH-DB-01"
    again = raise_alert(session, AlertKind.EVENTS_LOST, "丢失 seq 5-7", bank=bank, cause="lost:5-7")
    assert again.id != alert.id


def test_acknowledging_an_alert_twice_is_refused(admin, session):
    from lockers.alerts import raise_alert
    from lockers.models import AlertKind

    alert = raise_alert(session, AlertKind.EVENTS_LOST, "丢失 seq 9", cause="lost:9")
    admin.post(f"/admin/lockers/alerts/{alert.id}/ack")
    response = admin.post(f"/admin/lockers/alerts/{alert.id}/ack", follow_redirects=True)
    assert "这条告警已经确认过了" in visible_text(response)

"""Real domain events become notices; the pickup path is driven by the clock to the desk."""

import datetime as dt

import pytest
from sqlalchemy import select

from core.events import publish
from core.outbox import OutboxMessage, OutboxStatus
from core.users import Role
from courier.events import MaterialsRequested, SlaAlerted
from firmware_bridge.models import Command
from lockers import keypad_lock, pickup_codes
from lockers.compartments import add_bank, compartment, place_for_pickup
from lockers.jobs import JOBS
from lockers.models import Alert, AlertKind, BankKind, Size
from lockers.pickups import deposit
from lockers.uncollected import remind_uncollected
from notifications.dispatcher import Dispatcher
from notifications.templates import segments
from services.notices import turn_near
from tests import factories
from tests.factories import LABEL_KEY
from tests.lockers.test_lockers import ready_for_pickup
from tests.notifications.conftest import messages_path, reload, twilio_message

PHONE = "+8613800000042"


@pytest.fixture
def pickup_bank(session):
    place = factories.location(session, "NH-LOCKER-1", "NH", kind="locker_site")
    return add_bank(session, "NH-PU-01", "南湖取件柜", BankKind.PICKUP, place, [Size.S] * 4)


@pytest.fixture
def teacher(session):
    return factories.user(session, "notice_teacher", Role.TEACHER, phone=PHONE)


def notices(session, template=None):
    session.expire_all()
    rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    return [r for r in rows if template in (None, r.payload.get("template"))]


def test_the_pickup_code_travels_by_sms_then_the_reminders_then_the_desk(
    session, sessions, twilio, httpserver, pickup_bank, teacher, frozen_clock
):
    consignment = ready_for_pickup(
        session,
        factories.consignment(session, origin="NH", department_campus="NH", submitter=teacher),
    )
    httpserver.expect_request(messages_path(), method="POST").respond_with_json(
        twilio_message("SM1", PHONE, "x"), status=201
    )
    dispatcher = Dispatcher(sessions, {"sms": twilio})

    placement = place_for_pickup(session, consignment, pickup_bank, actor=None, key="p1")
    dispatcher.run_once()
    bodies = [r.form["Body"] for r, _ in httpserver.log]
    assert len(bodies) == 1
    assert f"取件码 {placement.digits}" in bodies[0]
    assert "南湖取件柜" in bodies[0]
    (ready,) = notices(session, "pickup_ready")
    assert ready.status == OutboxStatus.SENT
    assert placement.digits not in str(ready.payload)

    for hours, template in ((24, "pickup_reminder_24h"), (48, "pickup_reminder_48h"),
                            (60, "pickup_final")):  # fmt: skip
        frozen_clock.set(ready.created_at + dt.timedelta(hours=hours))
        remind_uncollected(session)
        remind_uncollected(session)  # a second pass the same minute tells nothing new
        dispatcher.run_once()
        assert len(notices(session, template)) == 1
    bodies = [r.form["Body"] for r, _ in httpserver.log]
    assert len(bodies) == 4
    assert "再次提醒" in bodies[2]
    assert "服务台" in bodies[3]

    frozen_clock.set(ready.created_at + dt.timedelta(hours=72))
    remind_uncollected(session)
    alert = session.scalar(select(Alert).where(Alert.kind == AlertKind.UNCOLLECTED))
    command = session.scalar(select(Command).where(Command.op == "open"))
    assert consignment.tracking_code in alert.message
    assert command.args == {"compartment": placement.compartment.number}
    assert pickup_codes.active_code(session, placement.compartment) is None


@pytest.fixture
def uncollected(session, pickup_bank, teacher, frozen_clock):
    """A result for ``teacher`` (submitted by someone else, who reads English) left in its
    locker past its window, the job run three times."""
    from notifications.models import ChannelChoice, Preference

    consignment = ready_for_pickup(
        session, factories.consignment(session, origin="NH", department_campus="NH")
    )
    consignment.recipient_user_id = teacher.id
    consignment.submitter.phone = "+8613800000043"
    session.add(
        Preference(user_id=consignment.submitter_id, channel=ChannelChoice.SMS, language="en")
    )
    place_for_pickup(session, consignment, pickup_bank, actor=None, key="p1")
    frozen_clock.advance(dt.timedelta(hours=73))
    for _ in range(3):
        remind_uncollected(session)
    return consignment


def test_an_uncollected_result_moved_to_the_desk_is_told_once_to_recipient_and_submitter(
    session, uncollected
):
    told = sorted(n.recipient for n in notices(session, "moved_to_desk"))
    assert told == [PHONE, "+8613800000043"]


def test_the_recipient_hears_in_chinese_where_the_result_now_is_with_its_link(session, uncollected):
    (notice,) = [n for n in notices(session, "moved_to_desk") if n.recipient == PHONE]
    assert notice.payload["text"] == (
        f"【校园快递】{uncollected.tracking_code} 未在 11月20日 09:30 前取走，"
        f"已转由南湖校区服务台保管，请凭证件到服务台领取。/t/{uncollected.tracking_code}"
    )
    assert segments(notice.payload["text"]) <= 2


def test_the_submitter_hears_it_in_their_language_within_two_segments(session, uncollected):
    (notice,) = [n for n in notices(session, "moved_to_desk") if n.recipient != PHONE]
    assert notice.payload["text"] == (
        f"[Campus courier] Uncollected, {uncollected.tracking_code} is at the 南湖校区 "
        f"desk: bring ID. /t/{uncollected.tracking_code}"
    )
    assert segments(notice.payload["text"]) <= 2


def test_the_uncollected_job_is_declared_for_the_scheduler():
    assert [job.id for job in JOBS] == ["lockers.remind_uncollected"]


def test_a_deposit_sends_the_submitter_a_receipt(session, teacher, frozen_clock):
    place = factories.location(session, "NH-LOCKER-2", "NH", kind="locker_site")
    box = add_bank(session, "NH-DB-01", "南湖投递柜", BankKind.DROP_BOX, place, [Size.M] * 2)
    consignment = factories.consignment(session, submitter=teacher)
    deposit(session, compartment(session, box, 1), consignment.tracking_code, key="d1",
            label_key=LABEL_KEY)  # fmt: skip
    (receipt,) = notices(session, "deposit_receipt")
    assert receipt.recipient == PHONE
    assert consignment.tracking_code in receipt.payload["text"]
    assert "NH-LOCKER-2 站点" in receipt.payload["text"]


def test_missing_materials_reach_the_submitter_with_the_whole_list(session, teacher):
    consignment = factories.consignment(session, submitter=teacher)
    items = ("身份证复印件", "学院盖章的申请表", "成绩单原件")
    publish(session, MaterialsRequested(consignment.id, 7, teacher.id, items, "周五前补交"))
    (notice,) = notices(session, "materials_missing")
    assert notice.payload["params"]["items"] == list(items)
    assert "身份证复印件；学院盖章的申请表；成绩单原件" in notice.payload["text"]


def test_an_sla_breach_reaches_the_owner_clerk_and_the_department_clerks(session, frozen_clock):
    from catalog.models import Affiliation, Department

    consignment = factories.consignment(session)
    department = session.scalar(select(Department))
    owner = factories.user(session, "owner_clerk", Role.CLERK, phone="+8613800000100")
    colleague = factories.user(session, "dept_clerk", Role.CLERK, phone="+8613800000101")
    session.add(Affiliation(user_id=colleague.id, campus_id=department.campus_id,
                            department_id=department.id))  # fmt: skip
    session.flush()
    event = SlaAlerted(consignment.id, "breach", owner.id, department.id, frozen_clock.now())
    publish(session, event)
    publish(session, event)
    rows = notices(session, "sla_breach")
    assert sorted(r.recipient for r in rows) == ["+8613800000100", "+8613800000101"]
    assert "已超过办理时限" in rows[0].payload["text"]


def test_a_locked_keypad_alarms_the_administrators_once(session, pickup_bank):
    factories.user(session, "alarm_admin", Role.ADMIN, phone="+8613800000200")
    for _ in range(keypad_lock.MAX_WRONG_TRIES + 2):
        keypad_lock.count_wrong(session, pickup_bank)
    (alarm,) = notices(session, "locker_alarm")
    assert alarm.recipient == "+8613800000200"
    assert "柜机告警 南湖取件柜：5 wrong pickup codes" in alarm.payload["text"]


def test_a_hall_visitor_hears_that_their_turn_is_near(session):
    turn_near(session, ticket_id=5, ticket_number="A023", ahead=3, area="二号窗口",
              phone="+8613800000300")  # fmt: skip
    (notice,) = notices(session, "turn_near")
    assert notice.payload["text"] == "【办事大厅】您的号码 A023 前面还有 3 位，请到二号窗口等候。"


def test_a_result_for_someone_without_an_account_goes_to_their_number(
    session, pickup_bank, frozen_clock
):
    consignment = ready_for_pickup(
        session,
        factories.consignment(session, origin="NH", department_campus="NH",
                              recipient_name="王五", recipient_phone="+8613900000001"),
    )  # fmt: skip
    place_for_pickup(session, consignment, pickup_bank, actor=None, key="p2")
    (ready,) = notices(session, "pickup_ready")
    assert ready.recipient == "+8613900000001"
    assert "王五" not in ready.payload["text"]
    assert reload(session, ready).status == OutboxStatus.PENDING


def test_a_clerks_missing_materials_form_tells_the_submitter_once(session, teacher):
    from courier import agents
    from tests.courier.agent_helpers import at_agent_desk, clerk

    consignment = at_agent_desk(session, submitter=teacher)
    wang = clerk(session, "notice_wang")
    agents.accept(session, consignment, wang)
    agents.request_materials(session, consignment, wang, ["学生证"], "需学院盖章", "m1")
    agents.request_materials(session, consignment, wang, ["学生证"], "需学院盖章", "m1")
    (notice,) = notices(session, "materials_missing")
    assert notice.recipient == PHONE
    assert "学生证；需学院盖章" in notice.payload["text"]


def test_the_sla_scan_tells_the_owner_clerk_of_a_breach(session, frozen_clock):
    from courier import agents, sla
    from tests.courier.agent_helpers import at_agent_desk

    consignment = at_agent_desk(session)
    wang = factories.user(session, "sla_wang", Role.CLERK, phone="+8613800000110")
    agents.accept(session, consignment, wang)
    frozen_clock.set(consignment.due_at + dt.timedelta(minutes=1))
    sla.scan(session)
    (notice,) = notices(session, "sla_breach")
    assert notice.recipient == "+8613800000110"
    assert consignment.tracking_code in notice.payload["text"]


def test_a_result_kept_at_the_desk_sends_the_recipient_its_handover_code(session, teacher):
    from courier import agents
    from courier.states import Kind
    from tests.courier.agent_helpers import at_agent_desk, clerk

    consignment = at_agent_desk(session, submitter=teacher)
    wang = clerk(session, "desk_wang")
    agents.accept(session, consignment, wang)
    agents.record_step(
        session, consignment, wang, Kind.RESULT_READY, "r", result_kind="certificate"
    )
    digits = agents.place_at_desk(session, consignment, wang, "d")
    (notice,) = notices(session, "desk_ready")
    assert notice.recipient == PHONE
    assert f"领取码 {digits}" in notice.payload["text"]


def test_a_ticket_taken_with_a_phone_hears_when_its_turn_is_near(session, frozen_clock):
    from tests.tickets.conftest import make_hall
    from tickets.queue import call_next, take_ticket

    hall = make_hall(session)
    take_ticket(session, hall.a)
    take_ticket(session, hall.a, phone="+8613800000301")
    call_next(session, hall.one)
    (notice,) = notices(session, "turn_near")
    assert notice.recipient == "+8613800000301"
    assert "A002" in notice.payload["text"]


def test_the_sla_scan_warns_the_owner_clerk_at_eighty_percent(session, frozen_clock):
    from courier import agents, sla
    from tests.courier.agent_helpers import at_agent_desk

    consignment = at_agent_desk(session)
    wang = factories.user(session, "warn_wang", Role.CLERK, phone="+8613800000111")
    agents.accept(session, consignment, wang)
    frozen_clock.set(consignment.sla_warn_at)
    assert sla.scan(session) == sla.AlertsWritten(1, 0)
    (notice,) = notices(session, "sla_warning")
    assert notice.recipient == "+8613800000111"
    assert "八成" in notice.payload["text"]

import datetime as dt

import pytest

from core import clock
from core.users import Role
from notifications.models import ChannelChoice, Preference
from notifications.notify import notify, quiet_until, set_default_language
from notifications.templates import MAX_SEGMENTS, TEMPLATES, render, segments
from tests import factories

READY = {
    "tracking_code": "CC2611170001",
    "code": "123456",
    "locker": "南湖取件柜",
    "compartment": 3,
    "place": "图书馆东侧",
    "until": dt.datetime(2026, 11, 20, 1, 30, tzinfo=dt.UTC),
    "link": "https://courier.example.edu/p/7-691e6f18-0f3a9c1d2e4b5a69",
}


def at_shanghai(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, 17, hour, minute, tzinfo=clock.SHANGHAI)


def test_a_user_without_preferences_gets_an_sms_in_chinese(session, frozen_clock):
    user = factories.user(session, phone="+8613800000001")
    (row,) = notify(session, "pickup_ready", user=user, params=READY, dedupe_key="r1")
    assert (row.channel, row.recipient) == ("sms", "+8613800000001")
    assert "取件码 123456" in row.payload["text"]
    assert "11月20日 09:30" in row.payload["text"]


def test_a_user_who_chose_both_gets_an_sms_and_a_wechat_message_in_english(session, frozen_clock):
    user = factories.user(session, phone="+8613800000002")
    session.add(
        Preference(user_id=user.id, channel=ChannelChoice.BOTH, language="en", wechat_id="li")
    )
    rows = notify(session, "pickup_ready", user=user, params=READY, dedupe_key="r2")
    assert sorted((r.channel, r.recipient) for r in rows) == [
        ("sms", "+8613800000002"),
        ("wechat", "li"),
    ]
    assert all("code 123456, 南湖取件柜" in r.payload["text"] for r in rows)


def test_a_user_who_chose_no_language_is_told_in_the_sites(
    session, frozen_clock, restored_notice_language
):
    user = factories.user(session, phone="+8613800000004")
    set_default_language("en")
    (row,) = notify(session, "pickup_ready", user=user, params=READY, dedupe_key="r5")
    assert "code 123456, 南湖取件柜" in row.payload["text"]


def test_wechat_without_a_wechat_id_falls_back_to_sms(session, frozen_clock):
    user = factories.user(session, phone="+8613800000003")
    session.add(Preference(user_id=user.id, channel=ChannelChoice.WECHAT, language="zh_CN"))
    (row,) = notify(session, "pickup_ready", user=user, params=READY, dedupe_key="r3")
    assert row.channel == "sms"


def test_someone_with_neither_phone_nor_wechat_is_not_notified(session, frozen_clock):
    user = factories.user(session)
    assert notify(session, "pickup_ready", user=user, params=READY, dedupe_key="r4") == []


@pytest.mark.parametrize(
    ("local", "held_until"),
    [
        (at_shanghai(22, 0), dt.datetime(2026, 11, 18, 7, 30, tzinfo=clock.SHANGHAI)),
        (at_shanghai(3, 15), at_shanghai(7, 30)),
        (at_shanghai(7, 30), None),
        (at_shanghai(21, 59), None),
    ],
)
def test_the_quiet_hours_run_from_ten_at_night_to_half_past_seven(local, held_until):
    assert quiet_until(local) == held_until


def test_a_reminder_at_night_waits_for_the_morning(session, frozen_clock):
    frozen_clock.set(at_shanghai(23, 10))
    (row,) = notify(session, "pickup_reminder_24h", phone="+8613800000004",
                    params=READY, dedupe_key="q1", reminder=True)  # fmt: skip
    assert row.available_at == dt.datetime(2026, 11, 18, 7, 30, tzinfo=clock.SHANGHAI)


def test_a_pickup_code_at_night_goes_out_at_once(session, frozen_clock):
    frozen_clock.set(at_shanghai(23, 10))
    (row,) = notify(session, "pickup_ready", phone="+8613800000004", params=READY,
                    dedupe_key="q2")  # fmt: skip
    assert row.available_at == frozen_clock.now()


def test_a_long_materials_list_is_shortened_in_the_sms_but_whole_on_wechat(session):
    items = [f"第{n}份材料：经学院盖章的申请表原件" for n in range(1, 12)]
    params = {"tracking_code": "CC2611170001", "items": items, "note": "", "supplement_url": ""}
    text = render("materials_missing", "zh_CN", params, sms=True)
    whole = render("materials_missing", "zh_CN", params, sms=False)
    assert segments(text) <= MAX_SEGMENTS
    assert text.startswith("【校园快递】CC2611170001 需补充材料。缺：第1份材料")
    assert "等" in text
    assert all(item in whole for item in items)


LISTS_AND_LINKS = {"materials_missing", "appointment_booked", "appointment_reminder"}


def test_every_template_fits_in_the_sms_limit_in_both_languages():
    params = {
        **READY,
        "at": READY["until"],
        "due": READY["until"],
        "items": ["身份证复印件", "申请表"],
        "note": "请补交",
        "supplement_url": "https://courier.example.edu.cn/t/CC2612010042",
        "message": "tamper",
        "ticket": "A023",
        "ahead": 3,
        "area": "二号窗口",
        "who": "王老师",
        "hours": 48,
        "label": "CC2612010042",
        "url": "https://courier.example.edu.cn/follow-ups/1042",
        "decision": "rejected",
        "item": "中文成绩单开具",
        "hall": "南湖校区师生综合服务中心",
    }
    for template in TEMPLATES:
        # The materials request and the appointment notices carry a list of materials and a
        # link: they may take the third segment.
        most = MAX_SEGMENTS if template in LISTS_AND_LINKS else 2
        for language in ("zh_CN", "en"):
            assert segments(render(template, language, params, sms=True)) <= most, template


def test_sms_segments_follow_ucs2_and_gsm_lengths():
    assert segments("中" * 70) == 1
    assert segments("中" * 71) == 2
    assert segments("a" * 160) == 1
    assert segments("a" * 161) == 2


def test_administrators_are_found_for_alarms(session):
    from notifications.notify import staff_with

    admin = factories.user(session, "alarm_admin", Role.ADMIN)
    factories.user(session, "alarm_teacher", Role.TEACHER)
    assert [u.login for u in staff_with(session, Role.ADMIN)] == [admin.login]


def test_a_mainland_mobile_number_is_written_the_way_providers_want_it(session, frozen_clock):
    (row,) = notify(session, "pickup_ready", phone="138 0000 0005", params=READY,
                    dedupe_key="e1")  # fmt: skip
    assert row.recipient == "+8613800000005"

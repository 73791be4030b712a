"""A flood of alarms from one controller makes one notice per window, carrying the count."""

import datetime as dt

import pytest
from sqlalchemy import select

from core.outbox import OutboxMessage
from core.users import Role
from lockers.alerts import raise_alert
from lockers.compartments import add_bank
from lockers.models import Alert, AlertKind, BankKind, Size
from tests import factories


@pytest.fixture
def bank(session):
    place = factories.location(session, "NH-LOCKER-1", "NH", kind="locker_site")
    return add_bank(session, "NH-PU-01", "南湖取件柜", BankKind.PICKUP, place, [Size.S] * 4)


@pytest.fixture
def admin(session):
    return factories.user(session, "alarm_admin", Role.ADMIN, phone="+8613800000200")


def alarms(session):
    session.flush()
    session.expire_all()
    rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    return [r for r in rows if r.payload.get("template") == "locker_alarm"]


def test_two_hundred_tamper_events_make_two_notices_and_keep_every_alert(
    session, bank, admin, frozen_clock
):
    for _ in range(200):
        raise_alert(session, AlertKind.TAMPER, "door forced", bank=bank)
        frozen_clock.advance(dt.timedelta(seconds=0.1))
    first, summary = alarms(session)
    assert summary.payload["params"]["count"] == 200
    assert "共 200 次" in summary.payload["text"]
    assert summary.available_at > first.available_at
    assert session.query(Alert).filter_by(kind=AlertKind.TAMPER).count() == 200


def test_the_first_alarm_of_a_window_is_told_at_once(session, bank, admin, frozen_clock):
    raise_alert(session, AlertKind.TAMPER, "door forced", bank=bank)
    (notice,) = alarms(session)
    assert notice.available_at <= frozen_clock.now()
    assert "次）" not in notice.payload["text"]


def test_another_kind_of_alarm_is_told_on_its_own(session, bank, admin, frozen_clock):
    raise_alert(session, AlertKind.TAMPER, "door forced", bank=bank)
    raise_alert(session, AlertKind.FAULT, "motor", bank=bank)
    assert len(alarms(session)) == 2


def test_the_next_window_starts_a_new_notice(session, bank, admin, frozen_clock):
    raise_alert(session, AlertKind.TAMPER, "door forced", bank=bank)
    frozen_clock.advance(dt.timedelta(minutes=16))
    raise_alert(session, AlertKind.TAMPER, "door forced", bank=bank)
    assert [n.payload["params"]["count"] for n in alarms(session)] == [1, 1]

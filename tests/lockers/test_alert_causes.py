"""One open alert per cause, kept by a unique index on open alerts (lockers/alerts.py)."""

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core import clock
from lockers.alerts import raise_alert
from lockers.models import Alert, AlertKind

CAUSE = "events_lost:NH-DB-01:1:2-5"


def open_alerts(session):
    return session.scalar(
        select(func.count()).select_from(Alert).where(Alert.acknowledged_at.is_(None))
    )


def test_a_cause_raised_again_while_its_alert_is_open_returns_the_open_alert(session):
    first = raise_alert(session, AlertKind.EVENTS_LOST, "events 2..5 lost", cause=CAUSE)
    again = raise_alert(session, AlertKind.EVENTS_LOST, "events 2..5 lost", cause=CAUSE)
    assert again is first
    assert open_alerts(session) == 1


def test_a_cause_raised_again_after_its_alert_was_acknowledged_is_a_new_alert(session):
    first = raise_alert(session, AlertKind.EVENTS_LOST, "events 2..5 lost", cause=CAUSE)
    first.acknowledged_at = clock.now()
    again = raise_alert(session, AlertKind.EVENTS_LOST, "events 2..5 lost", cause=CAUSE)
    assert again is not first
    assert open_alerts(session) == 1


def test_the_database_refuses_a_second_open_alert_with_the_same_cause(session):
    raise_alert(session, AlertKind.EVENTS_LOST, "events 2..5 lost", cause=CAUSE)
    session.add(Alert(kind=AlertKind.EVENTS_LOST, message="the same, by a racing bridge",
                      cause=CAUSE))  # fmt: skip
    with pytest.raises(IntegrityError):
        session.flush()


def test_a_racing_insert_of_the_same_cause_yields_the_alert_that_won(session, monkeypatch):
    winner = raise_alert(session, AlertKind.EVENTS_LOST, "events 2..5 lost", cause=CAUSE)
    # The loser looked before the winner's row was there: it finds out only by inserting.
    looks = iter([None, winner])
    monkeypatch.setattr("lockers.alerts._open_with", lambda _session, _cause: next(looks))
    assert raise_alert(session, AlertKind.EVENTS_LOST, "events 2..5 lost", cause=CAUSE) is winner
    assert open_alerts(session) == 1

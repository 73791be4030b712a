"""Processes plan on one shared timetable snapshot until the timetable changes."""

import datetime as dt

from sqlalchemy.orm import Session

from routes.models import Season
from routes.network import CACHE_KEY, Timetable, changed, revision
from routes.periods import add_period


def fresh_session_view(session: Session) -> Timetable:
    """What a new transaction of this process sees."""
    session.info.pop(CACHE_KEY, None)
    return Timetable.of(session)


def test_a_new_transaction_reuses_the_snapshot_while_the_timetable_is_unchanged(session, network):
    first = fresh_session_view(session)
    again = fresh_session_view(session)
    assert again.trips is first.trips
    assert again.calendars is not first.calendars


def test_a_change_to_the_timetable_makes_every_transaction_load_it_again(session, network):
    first = fresh_session_view(session)
    add_period(session, "寒假", dt.date(2027, 1, 18), dt.date(2027, 2, 24), Season.VACATION)
    after = fresh_session_view(session)
    assert after.trips is not first.trips
    assert [p[2] for p in after.periods] == [Season.VACATION]


def test_changed_gives_a_new_token_each_time(session, network):
    before = revision(session)
    changed(session)
    assert revision(session) not in (None, before)

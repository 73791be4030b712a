"""Statistics against figures worked out by hand for one small morning."""

import datetime as dt

from sqlalchemy import select

from core.users import Role
from tests import factories
from tickets import queue, ratings, stats
from tickets.models import Ticket

MIN = dt.timedelta(minutes=1)


def morning(session, hall, clock):
    """09:30 A001, A002 taken; 09:45 B001; 10:05 A003 (window 2).

    A001 waits 16, served 10; A002 waits 26, no-show; B001 waits 11, served 4;
    A003 waits 5, served 12.
    """
    queue.sign_in(session, hall.two, factories.user(session, "wu", Role.HALL_STAFF))
    queue.take_ticket(session, hall.a)
    queue.take_ticket(session, hall.a)
    clock.advance(15 * MIN)
    queue.take_ticket(session, hall.b)
    clock.advance(MIN)  # 09:46
    queue.call_next(session, hall.one)
    queue.start(session, hall.one)
    clock.advance(10 * MIN)  # 09:56
    queue.finish(session, hall.one)
    queue.call_next(session, hall.one)
    for _ in range(3):
        queue.recall(session, hall.one, delay=dt.timedelta())
    queue.call_next(session, hall.one)
    queue.start(session, hall.one)
    clock.advance(4 * MIN)  # 10:00
    queue.finish(session, hall.one)
    clock.advance(5 * MIN)  # 10:05
    queue.take_ticket(session, hall.a)
    clock.advance(5 * MIN)  # 10:10
    queue.call_next(session, hall.two)
    queue.start(session, hall.two)
    clock.advance(12 * MIN)
    queue.finish(session, hall.two)


def today_report(session):
    return stats.report(session, queue.today(), queue.today())


def test_the_totals_match_the_hand_computed_figures(session, hall, frozen_clock):
    morning(session, hall, frozen_clock)
    total = today_report(session).total
    assert (total.tickets, total.served, total.no_show) == (4, 3, 1)
    assert total.mean_wait == 14.5  # (16 + 26 + 11 + 5) / 4
    assert total.mean_service == 8.67  # (10 + 4 + 12) / 3
    assert total.within_15 == 0.6667  # B001 and A003 of the three served
    assert total.no_show_share == 0.25


def test_the_figures_are_split_by_hour_window_and_category(session, hall, frozen_clock):
    morning(session, hall, frozen_clock)
    result = today_report(session)
    assert [(g.key, g.tickets) for g in result.by_hour] == [("09:00", 3), ("10:00", 1)]
    assert [(g.key, g.mean_wait) for g in result.by_window] == [("1", 17.67), ("2", 5.0)]
    by_category = {g.key: g for g in result.by_category}
    assert by_category["A"].mean_wait == 15.67  # (16 + 26 + 5) / 3
    assert by_category["A"].no_show_share == 0.3333
    assert by_category["B"].mean_service == 4.0


def test_the_csv_export_has_a_row_per_slice(session, hall, frozen_clock):
    morning(session, hall, frozen_clock)
    lines = stats.to_csv(today_report(session)).splitlines()
    assert lines[0].startswith("slice,key,tickets")
    assert lines[1] == "all,all,4,3,1,14.5,8.67,0.6667,0.25,0,,"
    assert len(lines) == 1 + 1 + 2 + 2 + 2 + 2


def rate_the_morning(session):
    """A001 非常满意 and B001 不满意 (served by zhou at window 1), A003 满意 (wu, window 2)."""
    served = {t.number: t for t in session.scalars(select(Ticket))}
    ratings.rate(session, served["A001"], 5, [])
    ratings.rate(session, served["B001"], 2, ["wait"])
    ratings.rate(session, served["A003"], 4, [])


def test_satisfaction_is_counted_per_clerk(session, hall, frozen_clock):
    morning(session, hall, frozen_clock)
    rate_the_morning(session)
    by_clerk = {g.key: g for g in today_report(session).by_clerk}
    assert (by_clerk["zhou"].ratings, by_clerk["zhou"].mean_rating) == (2, 3.5)
    assert (by_clerk["zhou"].satisfied_share, by_clerk["wu"].satisfied_share) == (0.5, 1.0)


def test_satisfaction_is_counted_per_window_and_queue(session, hall, frozen_clock):
    morning(session, hall, frozen_clock)
    rate_the_morning(session)
    report = today_report(session)
    assert [(g.key, g.mean_rating) for g in report.by_window] == [("1", 3.5), ("2", 4.0)]
    assert [(g.key, g.ratings) for g in report.by_category] == [("A", 2), ("B", 1)]

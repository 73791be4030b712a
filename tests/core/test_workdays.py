import datetime as dt

import pytest

from core.clock import SHANGHAI
from core.errors import ValidationFailed
from core.workdays import (
    OFFICE_CLOSES,
    DayKind,
    add_working_days,
    import_schedule,
    parse_schedule,
    set_special_day,
)


def at(year: int, month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=SHANGHAI)


def close_of(year: int, month: int, day: int) -> dt.datetime:
    return dt.datetime.combine(dt.date(year, month, day), OFFICE_CLOSES, tzinfo=SHANGHAI)


def test_three_working_days_from_a_tuesday_end_on_friday(session):
    due = add_working_days(session, at(2026, 11, 17), 3)
    assert due.at == close_of(2026, 11, 20)
    assert not due.provisional


def test_weekends_are_skipped(session):
    assert add_working_days(session, at(2026, 11, 19), 3).at == close_of(2026, 11, 24)


def test_zero_days_means_the_close_of_the_same_working_day(session):
    assert add_working_days(session, at(2026, 11, 17), 0).at == close_of(2026, 11, 17)


def test_after_hours_counts_from_the_next_working_day(session):
    assert add_working_days(session, at(2026, 11, 20, 18), 0).at == close_of(2026, 11, 23)


def test_national_day_holiday_is_skipped(session):
    # 2026 National Day: 10-01 to 10-07 off; 09-30 is a Wednesday.
    assert add_working_days(session, at(2026, 9, 30), 1).at == close_of(2026, 10, 8)


def test_make_up_workday_on_a_weekend_counts(session):
    # Sunday 2026-10-10 is a make-up workday after National Day (from chinese-calendar).
    assert add_working_days(session, at(2026, 10, 9), 1).at == close_of(2026, 10, 10)


def test_spring_festival_2026_is_skipped(session):
    # 2026 Spring Festival: 02-15 to 02-23 off; Saturday 02-14 is a make-up workday.
    assert add_working_days(session, at(2026, 2, 13), 2).at == close_of(2026, 2, 24)


def test_a_year_without_a_schedule_counts_weekends_only_and_is_provisional(session):
    due = add_working_days(session, at(2027, 3, 2), 3)
    assert due.at == close_of(2027, 3, 5)
    assert due.provisional


def test_a_due_date_reaching_into_an_unknown_year_is_provisional(session):
    due = add_working_days(session, at(2026, 12, 29), 5)
    assert due.at.year == 2027
    assert due.provisional


def test_importing_next_years_schedule_makes_its_due_dates_final(session):
    rows = parse_schedule(
        "date,kind,name,name_en\n"
        "2027-01-01,holiday,元旦,New Year's Day\n"
        "2027-01-04,workday,元旦,New Year's Day\n",
        "csv",
    )
    assert import_schedule(session, rows, "test") == [2027]
    due = add_working_days(session, at(2026, 12, 31), 1)
    assert due.at == close_of(2027, 1, 4)
    assert not due.provisional


def test_importing_a_year_again_replaces_its_days(session):
    import_schedule(session, parse_schedule("date,kind\n2027-05-03,holiday\n", "csv"), "first")
    import_schedule(session, parse_schedule("date,kind\n2027-05-04,holiday\n", "csv"), "second")
    assert add_working_days(session, at(2027, 5, 3, 9), 0).at == close_of(2027, 5, 3)


def test_a_yaml_schedule_is_read_too(session):
    rows = parse_schedule("- {date: 2027-10-01, kind: holiday, name: 国庆节}\n", "yaml")
    assert rows[0].day == dt.date(2027, 10, 1)
    assert rows[0].kind is DayKind.HOLIDAY


def test_a_bad_schedule_lists_every_bad_line(session):
    with pytest.raises(ValidationFailed) as caught:
        parse_schedule("date,kind\n2027-13-01,holiday\n2027-01-02,party\n", "csv")
    assert [(p.line, p.field) for p in caught.value.problems] == [(2, "date"), (3, "kind")]


def test_one_day_can_be_made_a_holiday_on_the_page(session):
    set_special_day(session, dt.date(2026, 11, 18), DayKind.HOLIDAY, "校庆", "University Day")
    assert add_working_days(session, at(2026, 11, 17), 1).at == close_of(2026, 11, 19)


def test_negative_days_are_refused(session):
    with pytest.raises(ValueError, match="negative"):
        add_working_days(session, at(2026, 11, 17), -1)

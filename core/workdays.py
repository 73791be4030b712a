"""Chinese working days: public holidays and make-up workdays (调休) from a table.

The table is seeded from ``chinese-calendar`` by a migration and extended by administrators with
each next year's official schedule, published in late autumn. A year the table does not know is
counted with weekends only, and due dates that reach into it are marked provisional.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import Date, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core import clock
from core.clock import SHANGHAI
from core.db import Base, value_enum
from core.errors import N_, Problem, ValidationFailed

#: Working days end at this local time; a due date is the close of its last working day.
OFFICE_CLOSES = dt.time(17, 30)


class DayKind(enum.StrEnum):
    HOLIDAY = "holiday"  # a day off, even on a weekday
    WORKDAY = "workday"  # a make-up workday, even on a weekend


class SpecialDay(Base):
    """A date that differs from the plain Monday-to-Friday week."""

    __tablename__ = "special_days"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    kind: Mapped[DayKind] = mapped_column(value_enum(DayKind, 8))
    name: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(64), default="")


class HolidayYear(Base):
    """A year whose official schedule is in :class:`SpecialDay`; other years are provisional."""

    __tablename__ = "holiday_years"

    year: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[dt.datetime] = mapped_column(default=clock.now)


class CalendarRevision(Base):
    """One row whose token changes with every change to the special days: processes that keep
    work calendars (the route planner) reuse them while the token they loaded them under is
    current."""

    __tablename__ = "calendar_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32))


def calendar_changed(session: Session) -> None:
    """Record a change to the special days; random, so a rolled-back change is never trusted."""
    row = session.get(CalendarRevision, 1)
    token = uuid.uuid4().hex
    if row is None:
        session.add(CalendarRevision(id=1, token=token))
    else:
        row.token = token
    session.flush()


@dataclass(frozen=True)
class Due:
    """A due time; ``provisional`` when it was counted through a year without a schedule."""

    at: dt.datetime
    provisional: bool


class WorkCalendar:
    """Answers "is this a working day?" from the special days of the years it has loaded."""

    def __init__(self, special: dict[dt.date, DayKind], known_years: set[int]) -> None:
        self.special = special
        self.known_years = known_years

    @classmethod
    def load(cls, session: Session, first: dt.date, last: dt.date) -> WorkCalendar:
        rows = session.execute(
            select(SpecialDay.day, SpecialDay.kind).where(SpecialDay.day.between(first, last))
        )
        years = session.scalars(
            select(HolidayYear.year).where(HolidayYear.year.between(first.year, last.year))
        )
        return cls({day: DayKind(kind) for day, kind in rows}, set(years))

    def is_workday(self, day: dt.date) -> bool:
        kind = self.special.get(day)
        if kind is not None:
            return kind is DayKind.WORKDAY
        return day.weekday() < 5

    def knows(self, day: dt.date) -> bool:
        return day.year in self.known_years


def add_working_days(
    session: Session, start: dt.datetime, days: int, tz: ZoneInfo = SHANGHAI
) -> Due:
    """The close of the ``days``-th working day after ``start`` (0: the close of ``start``'s day,
    or of the next working day when ``start`` falls on a day off or after hours).

    ``start`` must be aware; the result is aware, in ``tz``.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    local = start.astimezone(tz)
    # Longest run of days off in China is about nine days; allow that per step plus slack.
    window_end = local.date() + dt.timedelta(days=days * 2 + 30)
    calendar = WorkCalendar.load(session, local.date(), window_end)
    day = local.date()
    provisional = not calendar.knows(day)
    if not calendar.is_workday(day) or local.time() >= OFFICE_CLOSES:
        day = _next_workday(calendar, day)
        provisional = provisional or not calendar.knows(day)
    for _ in range(days):
        day = _next_workday(calendar, day)
        provisional = provisional or not calendar.knows(day)
    return Due(dt.datetime.combine(day, OFFICE_CLOSES, tzinfo=tz), provisional)


def _next_workday(calendar: WorkCalendar, day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    while not calendar.is_workday(day):
        day += dt.timedelta(days=1)
    return day


@dataclass(frozen=True)
class ScheduleRow:
    line: int
    day: dt.date
    kind: DayKind
    name: str
    name_en: str


def parse_schedule(text: str, fmt: str) -> list[ScheduleRow]:
    """Parse a year's schedule, CSV (``date,kind,name,name_en``) or YAML (a list of mappings).

    Raises :class:`ValidationFailed` listing every bad row with its line number.
    """
    problems: list[Problem] = []
    raw: list[tuple[int, dict[str, object]]] = []
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text))
        raw = [(reader.line_num, dict(row)) for row in reader]
    elif fmt == "yaml":
        try:
            data = yaml.safe_load(text) or []
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark else None
            raise ValidationFailed([Problem("file", N_("Not valid YAML."), line=line)]) from exc
        if not isinstance(data, list):
            raise ValidationFailed([Problem("file", N_("Expected a list of days."), line=1)])
        raw = [(index + 1, row if isinstance(row, dict) else {}) for index, row in enumerate(data)]
    else:
        raise ValueError(f"unknown format {fmt!r}")
    rows: list[ScheduleRow] = []
    seen: set[dt.date] = set()
    for line, row in raw:
        try:
            day = dt.date.fromisoformat(str(row.get("date", "")).strip())
        except ValueError:
            problems.append(Problem("date", N_("Write the date as YYYY-MM-DD."), line=line))
            continue
        kind_text = str(row.get("kind", "")).strip()
        if kind_text not in DayKind.__members__.values():
            problems.append(Problem("kind", N_("Kind must be holiday or workday."), line=line))
            continue
        if day in seen:
            problems.append(Problem("date", N_("This date appears twice."), line=line))
            continue
        seen.add(day)
        rows.append(
            ScheduleRow(
                line,
                day,
                DayKind(kind_text),
                str(row.get("name") or "").strip(),
                str(row.get("name_en") or "").strip(),
            )
        )
    if problems:
        raise ValidationFailed(problems)
    if not rows:
        raise ValidationFailed([Problem("file", N_("The file lists no days."))])
    return rows


def import_schedule(session: Session, rows: list[ScheduleRow], source: str) -> list[int]:
    """Replace the special days of every year in ``rows`` and mark those years known.

    Returns the years replaced. A year's schedule is replaced whole, so a corrected notice can be
    imported again.
    """
    years = sorted({row.day.year for row in rows})
    for year in years:
        session.execute(
            delete(SpecialDay).where(
                SpecialDay.day.between(dt.date(year, 1, 1), dt.date(year, 12, 31))
            )
        )
        known = session.get(HolidayYear, year)
        if known is None:
            session.add(HolidayYear(year=year, source=source))
        else:
            known.source = source
            known.updated_at = clock.now()
    session.add_all(
        SpecialDay(day=row.day, kind=row.kind, name=row.name, name_en=row.name_en) for row in rows
    )
    session.flush()
    calendar_changed(session)
    return years


def set_special_day(
    session: Session, day: dt.date, kind: DayKind | None, name: str = "", name_en: str = ""
) -> None:
    """Mark one day as a holiday or make-up workday, or (``kind=None``) back to an ordinary day."""
    existing = session.get(SpecialDay, day)
    if kind is None:
        if existing is not None:
            session.delete(existing)
    elif existing is None:
        session.add(SpecialDay(day=day, kind=kind, name=name, name_en=name_en))
    else:
        existing.kind, existing.name, existing.name_en = kind, name, name_en
    if session.get(HolidayYear, day.year) is None:
        session.add(HolidayYear(year=day.year, source="edited"))
    session.flush()
    calendar_changed(session)


def known_years(session: Session) -> list[HolidayYear]:
    return list(session.scalars(select(HolidayYear).order_by(HolidayYear.year)))


def special_days(session: Session, year: int) -> list[SpecialDay]:
    return list(
        session.scalars(
            select(SpecialDay)
            .where(SpecialDay.day.between(dt.date(year, 1, 1), dt.date(year, 12, 31)))
            .order_by(SpecialDay.day)
        )
    )

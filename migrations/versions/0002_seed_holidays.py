"""Seed public holidays and make-up workdays from chinese-calendar.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 01:30:00
"""

import datetime as dt
from collections.abc import Sequence

import chinese_calendar
import sqlalchemy as sa
from alembic import op
from chinese_calendar import constants

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

special_days = sa.table(
    "special_days",
    sa.column("day", sa.Date),
    sa.column("kind", sa.String),
    sa.column("name", sa.String),
    sa.column("name_en", sa.String),
)
holiday_years = sa.table(
    "holiday_years",
    sa.column("year", sa.Integer),
    sa.column("source", sa.String),
    sa.column("updated_at", sa.DateTime),
)


def _names(english: object) -> tuple[str, str]:
    # chinese-calendar maps each date to the English name of its Holiday member.
    member = {h.value: h for h in constants.Holiday}.get(str(english))
    return (member.chinese if member else str(english)), str(english)


def upgrade() -> None:
    rows = []
    for kind, table in (("holiday", constants.holidays), ("workday", constants.workdays)):
        for day, holiday in table.items():
            name, name_en = _names(holiday)
            rows.append({"day": day, "kind": kind, "name": name, "name_en": name_en})
    op.bulk_insert(special_days, sorted(rows, key=lambda row: row["day"]))
    source = f"chinese-calendar {chinese_calendar.__version__}"
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    years = sorted({row["day"].year for row in rows})
    op.bulk_insert(
        holiday_years, [{"year": year, "source": source, "updated_at": now} for year in years]
    )


def downgrade() -> None:
    op.execute(holiday_years.delete().where(holiday_years.c.source.like("chinese-calendar%")))
    op.execute(special_days.delete())

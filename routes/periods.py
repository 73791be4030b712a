"""Vacation periods: date ranges that run the vacation timetable instead of term time's."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import N_, Problem, ValidationFailed
from routes.models import Season, ServicePeriod
from routes.network import changed


def add_period(
    session: Session,
    name: str,
    starts_on: dt.date,
    ends_on: dt.date,
    season: Season = Season.VACATION,
) -> ServicePeriod:
    """Add a period; it may not end before it starts nor overlap another."""
    problems = []
    if not name.strip():
        problems.append(Problem("name", N_("Name the period.")))
    if ends_on < starts_on:
        problems.append(Problem("ends_on", N_("The period ends before it starts.")))
    clash = session.scalar(
        select(ServicePeriod).where(
            ServicePeriod.starts_on <= ends_on, ServicePeriod.ends_on >= starts_on
        )
    )
    if clash is not None:
        problems.append(Problem("starts_on", N_("It overlaps %(other)s."), other=clash.name))
    if problems:
        raise ValidationFailed(problems)
    period = ServicePeriod(name=name.strip(), season=season, starts_on=starts_on, ends_on=ends_on)
    session.add(period)
    session.flush()
    changed(session)
    return period


def remove_period(session: Session, period: ServicePeriod) -> None:
    session.delete(period)
    session.flush()
    changed(session)


def periods(session: Session) -> list[ServicePeriod]:
    return list(session.scalars(select(ServicePeriod).order_by(ServicePeriod.starts_on)))

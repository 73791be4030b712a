"""The SLA clock: due times in Chinese working days, pauses while materials are awaited, alerts.

The clock starts at 受理, when the agent clerk accepts the papers (the shuttle's time is transit,
reported apart), or at submission for items that say so; until it starts, the due time shown is
an estimate from the submission. It stops when the result is ready. While the clerk waits for
the submitter's missing materials it is paused; when they arrive the working days that were
still left start again from that day, so a pause over a holiday costs the department nothing and
a make-up workday counts as a working day.
"""

from __future__ import annotations

import datetime as dt
import enum
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from catalog.models import Department, ServiceItem, SlaStart
from core import clock
from core.events import publish
from core.workdays import WorkCalendar, add_working_days
from courier.events import SlaAlerted
from courier.models import Consignment, Level, SlaAlert

#: Share of the time limit after which the inbox turns amber and the clerk is warned.
WARN_SHARE = 0.8
RUNNING = ""
#: Not started yet: the clock waits for the agent's acceptance.
WAITING = "waiting"
#: A consignment's ``sla_phase`` names the last alert raised.
WARNING = Level.WARNING
BREACH = Level.BREACH
DONE = "done"


class Colour(enum.StrEnum):
    """How the inbox shows a consignment's clock."""

    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    PAUSED = "paused"
    DONE = "done"
    WAITING = "waiting"


def warn_at(start: dt.datetime, due: dt.datetime, paused_seconds: int = 0) -> dt.datetime:
    """When 80 % of the time from ``start`` to ``due`` (less the paused time) is used."""
    span = due - start - dt.timedelta(seconds=paused_seconds)
    return start + dt.timedelta(seconds=paused_seconds) + span * WARN_SHARE


def start_clock(consignment: Consignment, item: ServiceItem) -> None:
    """A new consignment's clock: running from now when its item says so, else waiting for the
    agent's acceptance."""
    if item.sla_starts is SlaStart.SUBMITTED:
        consignment.sla_started_at = consignment.created_at
        consignment.sla_warn_at = warn_at(consignment.created_at, consignment.due_at)
        consignment.sla_phase = RUNNING
    else:
        consignment.sla_phase = WAITING


def start_at_acceptance(session: Session, consignment: Consignment, at: dt.datetime) -> None:
    """受理: the clerk took the papers; a waiting clock starts with the item's time limit."""
    if consignment.sla_phase != WAITING:
        return
    due = add_working_days(session, at, consignment.service_item.time_limit_days)
    consignment.due_at = due.at
    consignment.due_provisional = due.provisional
    consignment.sla_started_at = at
    consignment.sla_warn_at = warn_at(at, due.at)
    consignment.sla_phase = RUNNING


def pause(consignment: Consignment, at: dt.datetime) -> None:
    """Stop the clock (materials asked of the submitter)."""
    if consignment.sla_paused_since is None and consignment.sla_phase != DONE:
        consignment.sla_paused_since = at


def _working_days_between(session: Session, after: dt.date, until: dt.date) -> int:
    """Working days ``d`` with ``after < d <= until``."""
    if until <= after:
        return 0
    calendar = WorkCalendar.load(session, after, until)
    days = (until - after).days
    return sum(calendar.is_workday(after + dt.timedelta(days=n)) for n in range(1, days + 1))


def resume(session: Session, consignment: Consignment, at: dt.datetime) -> None:
    """Start the clock again: the working days that were left at the pause count from ``at``."""
    since = consignment.sla_paused_since
    if since is None:
        return
    consignment.sla_paused_since = None
    consignment.sla_paused_seconds += max(0, int((at - since).total_seconds()))
    due = consignment.due_at
    if due <= since:
        return  # already late when it was paused: the breach stands
    local_since = since.astimezone(clock.SHANGHAI).date()
    left = _working_days_between(session, local_since, due.astimezone(clock.SHANGHAI).date())
    new_due = add_working_days(session, at, left)
    consignment.due_at = new_due.at
    consignment.due_provisional = consignment.due_provisional or new_due.provisional
    consignment.sla_warn_at = warn_at(
        consignment.sla_started_at or consignment.created_at,
        new_due.at,
        consignment.sla_paused_seconds,
    )


def stop(consignment: Consignment) -> None:
    """The result is ready (or the consignment ended): the clock is done."""
    consignment.sla_phase = DONE
    consignment.sla_paused_since = None


def colour(consignment: Consignment, now: dt.datetime | None = None) -> Colour:
    """Green, amber (80 % used), red (breached), paused or done."""
    now = now or clock.now()
    if consignment.sla_phase == DONE:
        return Colour.DONE
    if consignment.sla_phase == WAITING:
        return Colour.WAITING
    if consignment.sla_paused_since is not None:
        return Colour.PAUSED
    if now > consignment.due_at:
        return Colour.RED
    if consignment.sla_warn_at is not None and now >= consignment.sla_warn_at:
        return Colour.AMBER
    return Colour.GREEN


@dataclass(frozen=True)
class AlertsWritten:
    warnings: int
    breaches: int


def scan(session: Session) -> AlertsWritten:
    """Write the SLA alerts that fell due since the last scan (the scheduler runs this each
    minute). Each alert is written once per consignment and level; paused clocks are skipped."""
    now = clock.now()

    def due(*conditions: Any) -> list[Any]:
        # What an alert needs, of running clocks only; locked so two scans write nothing twice.
        return session.execute(
            select(
                Consignment.id, Consignment.agent_id, Consignment.department_id, Consignment.due_at
            )
            .where(Consignment.sla_paused_since.is_(None), *conditions)
            .with_for_update(skip_locked=True)
        ).all()

    breached = due(Consignment.sla_phase.in_((RUNNING, WARNING)), Consignment.due_at < now)
    breached_ids = {row.id for row in breached}
    warned = [
        row
        for row in due(Consignment.sla_phase == RUNNING, Consignment.sla_warn_at <= now)
        if row.id not in breached_ids
    ]
    _write(session, warned, WARNING, now)
    _write(session, breached, BREACH, now)
    return AlertsWritten(len(warned), len(breached))


def _write(session: Session, rows: list, level: Level, now: dt.datetime) -> None:
    if not rows:
        return
    ids = [row.id for row in rows]
    already = set(
        session.scalars(
            select(SlaAlert.consignment_id).where(
                SlaAlert.consignment_id.in_(ids), SlaAlert.level == level
            )
        )
    )
    fresh = [row for row in rows if row.id not in already]
    if fresh:
        session.execute(
            insert(SlaAlert),
            [
                {
                    "consignment_id": row.id,
                    "level": level,
                    "clerk_id": row.agent_id,
                    "department_id": row.department_id,
                    "due_at": row.due_at,
                    "created_at": now,
                }
                for row in fresh
            ],
        )
    session.execute(
        update(Consignment)
        .where(Consignment.id.in_(ids))
        .values(sla_phase=level)
        .execution_options(synchronize_session=False)
    )
    for row in fresh:
        publish(
            session,
            SlaAlerted(
                consignment_id=row.id,
                level=level,
                clerk_id=row.agent_id,
                department_id=row.department_id,
                due_at=row.due_at,
            ),
        )


@dataclass(frozen=True)
class SlaFigures:
    """Handled consignments of one department or service item."""

    name: str
    handled: int
    on_time_share: float | None
    median_hours: float | None
    p90_hours: float | None
    #: From submission to 受理: the shuttle's and the sorting's time, apart from the handling.
    median_transit_hours: float | None = None


def handling_hours(consignment: Consignment) -> float | None:
    """Hours from the clock's start (受理, or submission for items that say so) to result
    ready, without the time the clock was paused."""
    if consignment.result_ready_at is None:
        return None
    start = consignment.sla_started_at or consignment.created_at
    span = consignment.result_ready_at - start
    return (span.total_seconds() - consignment.sla_paused_seconds) / 3600


def transit_hours(consignment: Consignment) -> float | None:
    """Hours from submission until the agent first accepted it (the way to the desk)."""
    started = consignment.sla_started_at
    # A clock started at submission says nothing of the way; a reassignment moves accepted_at.
    accepted = started if started and started > consignment.created_at else consignment.accepted_at
    if accepted is None:
        return None
    return (accepted - consignment.created_at).total_seconds() / 3600


def figures(name: str, done: Iterable[Consignment]) -> SlaFigures:
    """On-time share, median and p90 handling time of consignments whose result is ready, and
    their median transit time."""
    done = list(done)
    hours: list[float] = []
    on_time = 0
    for consignment in done:
        spent = handling_hours(consignment)
        if spent is None:
            continue
        hours.append(spent)
        on_time += consignment.result_ready_at <= consignment.due_at  # type: ignore[operator]
    if not hours:
        return SlaFigures(name, 0, None, None, None)
    p90 = statistics.quantiles(hours, n=10, method="inclusive")[-1] if len(hours) > 1 else hours[0]
    transit = [t for t in map(transit_hours, done) if t is not None]
    return SlaFigures(
        name,
        len(hours),
        on_time / len(hours),
        statistics.median(hours),
        p90,
        statistics.median(transit) if transit else None,
    )


def statistics_by(session: Session, by: str, since: dt.datetime | None = None) -> list[SlaFigures]:
    """SLA figures per department (``by="department"``) or per service item (``"item"``) of
    the consignments whose result became ready since ``since``."""
    group = Department if by == "department" else ServiceItem
    key = Consignment.department_id if by == "department" else Consignment.service_item_id
    query = (
        select(group.name, Consignment)
        .join(group, group.id == key)
        .where(Consignment.result_ready_at.is_not(None))
        .order_by(group.name)
    )
    if since is not None:
        query = query.where(Consignment.result_ready_at >= since)
    grouped: dict[str, list[Consignment]] = {}
    for name, consignment in session.execute(query):
        grouped.setdefault(name, []).append(consignment)
    return [figures(name, rows) for name, rows in grouped.items()]

"""Hall statistics: waiting and service times and 好差评, by hour, window, category and clerk.

Waiting runs from a ticket's ``wait_from`` (its issue, or its appointment's start if later) to
its first call; service from start to finish. "Within 15 minutes" is the share of served
tickets whose wait was at most 15 minutes; the no-show share is no-shows over served plus
no-shows (transferred and cancelled tickets count in neither).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import statistics as st
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core import clock
from core.satisfaction import SATISFIED_AT
from tickets.models import Outcome, Ticket

PROMPT = dt.timedelta(minutes=15)


@dataclass
class Group:
    """Figures of one slice of the tickets (one hour, one window, one category, or all)."""

    key: str
    tickets: int = 0
    served: int = 0
    no_show: int = 0
    waits: list[float] = field(default_factory=list)  # minutes
    services: list[float] = field(default_factory=list)  # minutes
    prompt: int = 0
    levels: list[int] = field(default_factory=list)  # 好差评 levels of its rated tickets

    def add(self, ticket: Ticket) -> None:
        self.tickets += 1
        wait = None
        if ticket.first_called_at is not None:
            wait = ticket.first_called_at - ticket.wait_from
            self.waits.append(wait.total_seconds() / 60)
        if ticket.started_at is not None and ticket.finished_at is not None:
            self.services.append((ticket.finished_at - ticket.started_at).total_seconds() / 60)
        if ticket.outcome == Outcome.SERVED:
            self.served += 1
            if wait is not None and wait <= PROMPT:
                self.prompt += 1
        elif ticket.outcome == Outcome.NO_SHOW:
            self.no_show += 1
        if ticket.rating is not None:
            self.levels.append(ticket.rating.level)

    @property
    def mean_wait(self) -> float | None:
        return round(st.fmean(self.waits), 2) if self.waits else None

    @property
    def mean_service(self) -> float | None:
        return round(st.fmean(self.services), 2) if self.services else None

    @property
    def within_15(self) -> float | None:
        return round(self.prompt / self.served, 4) if self.served else None

    @property
    def no_show_share(self) -> float | None:
        ended = self.served + self.no_show
        return round(self.no_show / ended, 4) if ended else None

    @property
    def ratings(self) -> int:
        return len(self.levels)

    @property
    def mean_rating(self) -> float | None:
        return round(st.fmean(self.levels), 2) if self.levels else None

    @property
    def satisfied_share(self) -> float | None:
        if not self.levels:
            return None
        return round(sum(level >= SATISFIED_AT for level in self.levels) / len(self.levels), 4)


@dataclass
class Report:
    first: dt.date
    last: dt.date
    total: Group
    by_hour: list[Group]
    by_window: list[Group]
    by_category: list[Group]
    #: Tickets per clerk who served them (by login).
    by_clerk: list[Group]


def report(session: Session, first: dt.date, last: dt.date) -> Report:
    """Figures for the local days ``first`` to ``last`` inclusive."""
    tickets = session.scalars(
        select(Ticket)
        .where(Ticket.day >= first, Ticket.day <= last)
        .options(selectinload(Ticket.rating), selectinload(Ticket.staff))
        .order_by(Ticket.id)
    )
    total = Group("all")
    hours: dict[str, Group] = {}
    windows: dict[str, Group] = {}
    categories: dict[str, Group] = {}
    clerks: dict[str, Group] = {}
    for ticket in tickets:
        total.add(ticket)
        hour = f"{ticket.wait_from.astimezone(clock.SHANGHAI).hour:02d}:00"
        hours.setdefault(hour, Group(hour)).add(ticket)
        categories.setdefault(ticket.category.prefix, Group(ticket.category.prefix)).add(ticket)
        if ticket.window is not None:
            key = str(ticket.window.number)
            windows.setdefault(key, Group(key)).add(ticket)
        if ticket.staff is not None:
            login = ticket.staff.login
            clerks.setdefault(login, Group(login)).add(ticket)
    return Report(
        first,
        last,
        total,
        [hours[k] for k in sorted(hours)],
        [windows[k] for k in sorted(windows, key=int)],
        [categories[k] for k in sorted(categories)],
        [clerks[k] for k in sorted(clerks)],
    )


COLUMNS = (
    "slice",
    "key",
    "tickets",
    "served",
    "no_show",
    "mean_wait_min",
    "mean_service_min",
    "served_within_15_min",
    "no_show_share",
    "ratings",
    "mean_rating",
    "satisfied_share",
)


def to_csv(result: Report) -> str:
    """The report as CSV, one row per slice."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    slices = [("all", [result.total]), ("hour", result.by_hour)]
    slices += [("window", result.by_window), ("category", result.by_category)]
    slices += [("clerk", result.by_clerk)]
    for name, groups in slices:
        for g in groups:
            writer.writerow(
                [
                    name,
                    g.key,
                    g.tickets,
                    g.served,
                    g.no_show,
                    g.mean_wait,
                    g.mean_service,
                    g.within_15,
                    g.no_show_share,
                    g.ratings,
                    g.mean_rating,
                    g.satisfied_share,
                ]
            )
    return out.getvalue()

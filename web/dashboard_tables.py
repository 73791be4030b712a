"""The dashboard's figures as tables: what the page shows beside each chart and the CSV holds.

The table is the truth: the charts draw these same numbers (minutes, hours and shares rounded as
shown), and the CSV download is the table with machine-readable column names.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext
from sqlalchemy.orm import Session

from catalog.transfer import neutralise_cell
from dashboard import figures
from dashboard.figures import Period
from web.formatting import label, localized


@dataclass(frozen=True)
class Column:
    key: str  # the CSV header
    title: Any  # the page's header, in the page's language
    numeric: bool = False


@dataclass(frozen=True)
class Table:
    key: str
    title: Any
    columns: tuple[Column, ...]
    rows: list[list[Any]]
    #: What the reader must know to read the figures (shown under the table).
    note: Any = ""

    def index(self, key: str) -> int:
        """The position of the column ``key`` in each row."""
        return [c.key for c in self.columns].index(key)

    def column(self, key: str) -> list[Any]:
        """The values of the column ``key``, row by row."""
        return [row[self.index(key)] for row in self.rows]


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def _hours(seconds: float) -> float:
    return round(seconds / 3600, 1)


def _percent(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)


#: Percentiles come from histograms (:func:`dashboard.sql_time.bucket`): said in the column's
#: header and CSV name, and explained under the table.
BUCKETED = lazy_gettext(
    "Medians and percentiles are the lower bound of their bucket: to the minute below 2 hours, "
    "to 10 minutes below 2 days, to the hour beyond."
)


def network_table(session: Session, _period: Period) -> Table:
    return Table(
        "network",
        lazy_gettext("Envelopes in the network by state and campus"),
        (
            Column("campus", lazy_gettext("Campus")),
            Column("state", lazy_gettext("State")),
            Column("envelopes", lazy_gettext("Envelopes"), numeric=True),
        ),
        [
            [localized(row.campus), label(row.state), row.count]
            for row in figures.in_network(session)
        ],
    )


def transit_table(session: Session, period: Period) -> Table:
    return Table(
        "transit",
        lazy_gettext("Transit time per leg"),
        (
            Column("from", lazy_gettext("Leaves from")),
            Column("to", lazy_gettext("Arrives at")),
            Column("rides", lazy_gettext("Rides"), numeric=True),
            Column("median_min_bucketed", lazy_gettext("Median (min, bucketed)"), numeric=True),
            Column(
                "p90_min_bucketed", lazy_gettext("90th percentile (min, bucketed)"), numeric=True
            ),
        ),
        [
            [
                localized(leg.origin),
                localized(leg.destination),
                leg.rides,
                _minutes(leg.median_seconds),
                _minutes(leg.p90_seconds),
            ]
            for leg in figures.transit_legs(session, period)
        ],
        BUCKETED,
    )


def sla_table(session: Session, period: Period) -> Table:
    return Table(
        "sla",
        lazy_gettext("SLA per department"),
        (
            Column("department", lazy_gettext("Department")),
            Column("handled", lazy_gettext("Handled"), numeric=True),
            Column("on_time_pct", lazy_gettext("On time (%)"), numeric=True),
            Column(
                "median_handling_h_bucketed",
                lazy_gettext("Median handling (h, bucketed)"),
                numeric=True,
            ),
        ),
        [
            [
                localized(row.department),
                row.handled,
                _percent(row.on_time_share),
                _hours(row.median_handling_seconds),
            ]
            for row in figures.sla_by_department(session, period)
        ],
        BUCKETED,
    )


def lockers_table(session: Session, period: Period) -> Table:
    return Table(
        "lockers",
        lazy_gettext("Locker occupancy and faults per bank"),
        (
            Column("bank", lazy_gettext("Locker bank")),
            Column("kind", lazy_gettext("Kind")),
            Column("compartments", lazy_gettext("Compartments in use"), numeric=True),
            Column("occupied", lazy_gettext("Occupied"), numeric=True),
            Column("occupancy_pct", lazy_gettext("Occupancy (%)"), numeric=True),
            Column("faulty", lazy_gettext("Faulty now"), numeric=True),
            Column("fault_alerts", lazy_gettext("Fault alerts in the period"), numeric=True),
        ),
        [
            [
                f"{bank.bank.name} ({bank.bank.code})",
                label(bank.kind),
                bank.compartments,
                bank.occupied,
                _percent(bank.occupancy),
                bank.faulty,
                bank.fault_alerts,
            ]
            for bank in figures.locker_banks(session, period)
        ],
    )


def hall_table(session: Session, period: Period) -> Table:
    return Table(
        "hall",
        lazy_gettext("Hall waits and service times per queue by hour"),
        (
            Column("queue", lazy_gettext("Queue")),
            Column("hour", lazy_gettext("Hour")),
            Column("tickets", lazy_gettext("Tickets"), numeric=True),
            Column("mean_wait_min", lazy_gettext("Mean wait (min)"), numeric=True),
            Column("mean_service_min", lazy_gettext("Mean service (min)"), numeric=True),
        ),
        [
            [
                f"{row.queue.code} {localized(row.queue)}",
                f"{row.hour:02d}:00",
                row.tickets,
                _minutes(row.mean_wait_seconds),
                _minutes(row.mean_service_seconds),
            ]
            for row in figures.hall_hours(session, period)
        ],
    )


def _satisfaction(key: str, title: Any, of: Any, rows: list[figures.Satisfaction]) -> Table:
    return Table(
        key,
        title,
        (
            Column(key.removeprefix("satisfaction_"), of),
            Column("ratings", lazy_gettext("Ratings"), numeric=True),
            Column("mean_level", lazy_gettext("Mean level (of 5)"), numeric=True),
            Column("satisfied_pct", lazy_gettext("Satisfied (%)"), numeric=True),
        ),
        [
            [
                localized(row.of),
                row.ratings,
                round(row.mean_level, 2),
                _percent(row.satisfied_share),
            ]
            for row in rows
        ],
    )


def satisfaction_window_table(session: Session, period: Period) -> Table:
    return _satisfaction(
        "satisfaction_window",
        lazy_gettext("Satisfaction per window"),
        lazy_gettext("Window"),
        figures.satisfaction_by_window(session, period),
    )


def satisfaction_department_table(session: Session, period: Period) -> Table:
    return _satisfaction(
        "satisfaction_department",
        lazy_gettext("Satisfaction per department"),
        lazy_gettext("Department"),
        figures.satisfaction_by_department(session, period),
    )


def satisfaction_agent_department_table(session: Session, period: Period) -> Table:
    return _satisfaction(
        "satisfaction_agent_department",
        lazy_gettext("Satisfaction with agent handling (代办) per department"),
        lazy_gettext("Department"),
        figures.agent_satisfaction_by_department(session, period),
    )


def satisfaction_clerk_table(session: Session, period: Period) -> Table:
    return _satisfaction(
        "satisfaction_clerk",
        lazy_gettext("Satisfaction per member of staff"),
        lazy_gettext("Staff"),
        figures.satisfaction_by_clerk(session, period),
    )


#: Every table of the dashboard, in the page's order, by key.
TABLES: dict[str, Callable[[Session, Period], Table]] = {
    "network": network_table,
    "transit": transit_table,
    "sla": sla_table,
    "lockers": lockers_table,
    "hall": hall_table,
    "satisfaction_window": satisfaction_window_table,
    "satisfaction_department": satisfaction_department_table,
    "satisfaction_agent_department": satisfaction_agent_department_table,
    "satisfaction_clerk": satisfaction_clerk_table,
}


def to_csv(table: Table) -> str:
    """The table as CSV; cells a spreadsheet would run as formulas are quoted as text."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.key for c in table.columns])
    for row in table.rows:
        writer.writerow(["" if v is None else neutralise_cell(v) for v in row])
    return out.getvalue()

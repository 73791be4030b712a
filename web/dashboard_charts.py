"""The dashboard's charts: SVG drawn on the server by pygal from the tables the page shows.

No script goes into the SVG (``js=[]``), so the charts need no exception to the page's strict
content security policy; they are served as images (pygal styles them with an SVG ``<style>``,
which only the image's own response allows). A phone gets a narrower drawing with the same
font sizes, so the text stays legible when the image fills the screen's width.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext, lazy_gettext

from web.dashboard_tables import Table
from web.pygal_import import pygal

#: Colours told apart with common colour blindness: Okabe and Ito's palette, then Paul Tol's
#: muted one (a hall of a dozen queues needs more than seven).
COLOURS = (
    *("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"),
    *("#882255", "#44AA99", "#999933", "#AA4499", "#332288", "#88CCEE", "#DDCC77"),
)

#: Drawing widths in SVG units; the image scales to its box, keeping these proportions.
WIDTHS = {"phone": 400, "desk": 720}

STYLE = pygal.style.Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1a1a1a",
    foreground_strong="#1a1a1a",
    foreground_subtle="#6b6b6b",
    colors=COLOURS,
    font_family="'Noto Sans CJK SC', 'Noto Sans SC', 'PingFang SC', 'Microsoft YaHei', sans-serif",
    label_font_size=14,
    major_label_font_size=14,
    legend_font_size=14,
    value_font_size=13,
    no_data_font_size=18,
)


@dataclass(frozen=True)
class Chart:
    """One chart: the table it draws, its title and how it is drawn."""

    table: str
    title: Any
    draw: Callable[[Table, str], pygal.graph.graph.Graph]


def _wide_text_room(labels: list[str]) -> float:
    """What pygal misses of the widest label: it counts 0.6 em for every character, Chinese
    ones take a full em (and a little more in the fonts used)."""
    size = STYLE.label_font_size
    wide = (sum(unicodedata.east_asian_width(c) in "WF" for c in label) for label in labels)
    return max(wide, default=0) * 0.5 * size


def _chart(kind: type, fit: str, bars: int, series: int, labels: list[str], **options: Any) -> Any:
    """A pygal chart sized for ``bars`` rows (bars, or dot rows) of ``series`` series each (or a
    line chart's plot when ``bars`` is 0), with room for the row ``labels``."""
    width = WIDTHS[fit]
    # One legend entry per row on a phone: two columns cut the longer series names into each other.
    columns = 1 if fit == "phone" else 3
    legend = 40 + 24 * math.ceil(series / columns)
    if not options.get("show_legend", True):
        legend = 40
    height = max(240, 60 + bars * max(series, 1) * 26 + legend) if bars else 300 + legend
    return kind(
        width=width,
        height=height,
        style=STYLE,
        js=[],
        explicit_size=False,
        legend_at_bottom=True,
        legend_at_bottom_columns=columns,
        truncate_legend=-1,
        truncate_label=-1,
        print_values=options.pop("print_values", bool(bars)),
        no_data_text=gettext("No figures in this period"),
        margin=8,
        margin_left=8 + _wide_text_room(labels),
        # pygal leaves too little room under the plot for a legend of several rows.
        margin_bottom=8 + (legend - 40) // 2,
        # Fewer ticks on a phone, so that the scale's numbers do not run into each other.
        max_scale=5 if fit == "phone" else 10,
        **options,
    )


def _bars(
    table: Table, fit: str, label_keys: tuple[str, ...], value_keys: tuple[str, ...], **options: Any
) -> Any:
    """Horizontal bars, one group per row of ``table``, one bar per value column."""
    labels = [
        " → ".join(str(part) for part in parts)
        for parts in zip(*(table.column(k) for k in label_keys), strict=True)
    ]
    chart = _chart(pygal.HorizontalBar, fit, len(labels), len(value_keys), labels, **options)
    # pygal draws the first label at the bottom: reversed, the bars read in the table's order.
    chart.x_labels = labels[::-1]
    titles = {c.key: str(c.title) for c in table.columns}
    for key in value_keys:
        chart.add(titles[key], table.column(key)[::-1])
    return chart


def _transit(table: Table, fit: str) -> Any:
    return _bars(table, fit, ("from", "to"), ("median_min_bucketed", "p90_min_bucketed"))


def _sla_on_time(table: Table, fit: str) -> Any:
    return _bars(table, fit, ("department",), ("on_time_pct",), range=(0, 100))


def _sla_handling(table: Table, fit: str) -> Any:
    return _bars(table, fit, ("department",), ("median_handling_h_bucketed",))


def _satisfaction(key: str) -> Callable[[Table, str], Any]:
    def draw(table: Table, fit: str) -> Any:
        return _bars(table, fit, (key,), ("mean_level",), range=(0, 5))

    return draw


def _network(table: Table, fit: str) -> Any:
    """One bar per state, in parts per campus: few colours, however many states there are."""
    states = list(dict.fromkeys(table.column("state")))
    campuses = sorted(set(table.column("campus")))
    counts = {(c, s): n for c, s, n in table.rows}
    chart = _chart(pygal.HorizontalStackedBar, fit, len(states), 1, states, print_values=False)
    chart.x_labels = states[::-1]
    for campus in campuses:
        chart.add(campus, [counts.get((campus, state), 0) for state in reversed(states)])
    return chart


def _lockers(table: Table, fit: str) -> Any:
    banks = table.column("bank")
    occupied = table.column("occupied")
    faulty = table.column("faulty")
    free = [
        total - busy - bad
        for total, busy, bad in zip(table.column("compartments"), occupied, faulty, strict=True)
    ]
    chart = _chart(pygal.HorizontalStackedBar, fit, len(banks), 1, banks, print_values=False)
    chart.x_labels = banks[::-1]
    chart.add(gettext("Occupied"), occupied[::-1])
    chart.add(gettext("Faulty now"), faulty[::-1])
    chart.add(gettext("Vacant"), free[::-1])
    return chart


def _hall(value: str) -> Callable[[Table, str], Any]:
    """A dot per queue and hour, as large as the mean: the queues' rows read like a timetable."""

    def draw(table: Table, fit: str) -> Any:
        hours = sorted(set(table.column("hour")))
        queues = list(dict.fromkeys(table.column("queue")))
        values = {(row[0], row[1]): row[table.index(value)] for row in table.rows}
        chart = _chart(
            pygal.Dot,
            fit,
            len(queues),
            1,
            queues,
            show_legend=False,
            print_values=False,
            x_label_rotation=-60 if fit == "phone" else 0,
        )
        chart.x_labels = [hour[:2] for hour in hours]
        for queue in queues:
            chart.add(queue, [values.get((queue, hour)) for hour in hours])
        return chart

    return draw


#: Every chart, by the name its image is served under.
CHARTS: dict[str, Chart] = {
    "network": Chart("network", lazy_gettext("Envelopes in the network"), _network),
    "transit": Chart("transit", lazy_gettext("Ride time per leg (min, bucketed)"), _transit),
    "sla-on-time": Chart("sla", lazy_gettext("On-time share (%)"), _sla_on_time),
    "sla-handling": Chart("sla", lazy_gettext("Median handling time (h, bucketed)"), _sla_handling),
    "lockers": Chart("lockers", lazy_gettext("Compartments per bank"), _lockers),
    "hall-waits": Chart("hall", lazy_gettext("Mean wait by hour (min)"), _hall("mean_wait_min")),
    "hall-service": Chart(
        "hall", lazy_gettext("Mean service by hour (min)"), _hall("mean_service_min")
    ),
    "satisfaction-window": Chart(
        "satisfaction_window", lazy_gettext("Mean rating per window"), _satisfaction("window")
    ),
    "satisfaction-department": Chart(
        "satisfaction_department",
        lazy_gettext("Mean rating per department"),
        _satisfaction("department"),
    ),
}


def charts_of(table: str) -> list[str]:
    """The names of the charts that draw ``table``."""
    return [name for name, chart in CHARTS.items() if chart.table == table]


def _without_script(root: Any) -> Any:
    """pygal writes its configuration for its tooltips script even with no script to load:
    drop it, the chart draws the same without it and the image stays free of script."""
    for parent in root.iter():
        for child in list(parent):
            if child.tag == "script":
                parent.remove(child)
    return root


def render(name: str, table: Table, fit: str) -> bytes:
    """The chart ``name`` of ``table`` as SVG bytes, drawn for a phone or a desk."""
    chart = CHARTS[name].draw(table, fit)
    chart.add_xml_filter(_without_script)
    return bytes(chart.render())

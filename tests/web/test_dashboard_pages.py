"""The administrator's dashboard: its tables, period, CSV downloads and chart images."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from core.clock import SHANGHAI
from core.users import Role
from tests import factories
from tests.conftest import NOW, login

CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.S)


def table_rows(page: str, key: str) -> list[list[str]]:
    """The cells of the dashboard table ``key``, row by row, as the page shows them."""
    table = re.search(rf'data-test="table-{key}">(.*?)</table>', page, re.S)
    assert table, f"no table {key}"
    body = table.group(1).split("<tbody>", 1)[1]
    return [CELL.findall(row) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def handled(session, hours: int, ready: dt.datetime, on_time: bool, department: str = "XL"):
    row = factories.consignment(session, department_campus=department)
    row.sla_started_at = ready - dt.timedelta(hours=hours)
    row.result_ready_at = ready
    row.due_at = ready + dt.timedelta(minutes=1 if on_time else -1)
    session.flush()
    return row


@pytest.fixture
def admin(client, session):
    factories.user(session, "wang", Role.ADMIN)
    login(client, "wang")
    return client


def test_the_sla_table_shows_the_on_time_share_and_median_handling_hours(
    admin, session, frozen_clock
):
    yesterday = NOW - dt.timedelta(days=1)
    for hours, on_time in ((2, True), (3, True), (10, False)):
        handled(session, hours, yesterday, on_time)

    page = admin.get("/admin/dashboard/").get_data(as_text=True)

    assert table_rows(page, "sla") == [["XL部门", "3", "66.7", "3.0"]]


def test_the_period_is_the_last_30_days_unless_dates_are_chosen(admin, session, frozen_clock):
    handled(session, 4, NOW - dt.timedelta(days=40), on_time=True)

    default = admin.get("/admin/dashboard/").get_data(as_text=True)
    chosen = admin.get("/admin/dashboard/?from=2026-10-01&to=2026-10-31").get_data(as_text=True)

    assert 'name="from" value="2026-10-19"' in default
    assert 'name="to" value="2026-11-17"' in default
    assert len(table_rows(default, "sla")[0]) == 1  # "no figures in this period"
    assert table_rows(chosen, "sla") == [["XL部门", "1", "100.0", "4.0"]]


def test_the_csv_download_is_the_table_with_formulas_quoted(admin, session, frozen_clock):
    row = handled(session, 2, NOW - dt.timedelta(hours=1), on_time=True)
    row.department.name = "=HYPERLINK(1)"
    session.flush()

    response = admin.get("/admin/dashboard/sla.csv")

    assert response.mimetype == "text/csv"
    assert response.get_data(as_text=True).splitlines() == [
        "department,handled,on_time_pct,median_handling_h_bucketed",
        "'=HYPERLINK(1),1,100.0,2.0",
    ]


def test_a_chart_is_an_svg_image_without_script_under_its_own_policy(admin, session, frozen_clock):
    handled(session, 2, NOW - dt.timedelta(hours=1), on_time=True)

    response = admin.get("/admin/dashboard/charts/sla-on-time.svg?fit=phone")
    svg = response.get_data(as_text=True)

    assert response.mimetype == "image/svg+xml"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert "<script" not in svg
    assert 'viewBox="0 0 400 ' in svg
    assert "XL部门" in svg


def test_the_page_shows_each_chart_with_a_phone_drawing(admin):
    page = admin.get("/admin/dashboard/").get_data(as_text=True)

    for name in ("network", "transit", "sla-on-time", "lockers", "hall-waits"):
        assert f'data-test="chart-{name}"' in page
    assert "fit=phone" in page


def test_an_unknown_chart_or_table_is_not_found(admin):
    assert admin.get("/admin/dashboard/charts/nothing.svg").status_code == 404
    assert admin.get("/admin/dashboard/nothing.csv").status_code == 404


def test_the_hall_table_gives_local_hours(admin, session, frozen_clock):
    from tickets.models import Category, Ticket

    queue = Category(hall=factories.hall(session), prefix="A", name="教务")
    session.add(queue)
    session.flush()
    start = dt.datetime(2026, 11, 16, 14, 5, tzinfo=SHANGHAI)
    session.add(
        Ticket(
            category_id=queue.id,
            day=start.date(),
            seq=1,
            number="A001",
            issued_at=start,
            queue_at=start,
            wait_from=start,
            first_called_at=start + dt.timedelta(minutes=12),
        )
    )
    session.flush()

    page = admin.get("/admin/dashboard/").get_data(as_text=True)

    assert table_rows(page, "hall") == [["A NH · 教务", "14:00", "1", "12.0", "—"]]


def test_drawing_charts_leaves_no_legacy_import_hook_behind():
    import sys

    import web.dashboard_charts  # noqa: F401 - the import is what is tested

    assert [f for f in sys.meta_path if type(f).__name__ == "PluginImportFixer"] == []


def test_the_transit_and_sla_tables_say_their_medians_are_given_to_the_bucket(admin):
    page = admin.get("/admin/dashboard/").get_data(as_text=True)

    assert "中位数（分钟，分档）" in page
    assert 'data-test="note-transit"' in page
    assert 'data-test="note-sla"' in page

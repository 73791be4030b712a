import datetime as dt
import io

import pytest

from core.users import Role
from core.workdays import SpecialDay
from tests import factories
from tests.conftest import login
from tests.pages import visible_text


@pytest.fixture
def admin(client, session):
    factories.user(session, "admin1", Role.ADMIN)
    login(client, "admin1")
    return client


def test_the_page_lists_a_years_holidays(admin):
    page = admin.get("/admin/holidays/?year=2026").get_data(as_text=True)
    assert "2026-10-01" in page
    assert "国庆节" in page


def test_a_year_without_a_schedule_is_marked_provisional(admin):
    assert "暂定" in admin.get("/admin/holidays/?year=2027").get_data(as_text=True)


def test_an_admin_imports_next_years_schedule(admin, session):
    text = "date,kind,name,name_en\n2027-01-01,holiday,元旦,New Year's Day\n"
    response = admin.post(
        "/admin/holidays/import",
        data={"file": (io.BytesIO(text.encode()), "2027.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert session.get(SpecialDay, dt.date(2027, 1, 1)).name == "元旦"


def test_a_bad_schedule_is_refused_with_its_lines(admin, session):
    response = admin.post(
        "/admin/holidays/import",
        data={"file": (io.BytesIO(b"date,kind\n2027-02-30,holiday\n"), "2027.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "第 2 行: 日期格式应为 YYYY-MM-DD。" in visible_text(response)


def test_an_admin_marks_one_day_off(admin, session):
    admin.post(
        "/admin/holidays/day", data={"date": "2026-11-18", "kind": "holiday", "name": "校庆"}
    )
    assert session.get(SpecialDay, dt.date(2026, 11, 18)).name == "校庆"


def test_hall_staff_cannot_edit_holidays(client, session):
    factories.user(session, "zhou", Role.HALL_STAFF)
    login(client, "zhou")
    assert client.get("/admin/holidays/").status_code == 403

import io

import pytest
from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder

from catalog.models import ItemStatus, ServiceItem
from core.users import Role
from tests import factories
from tests.conftest import login
from tests.pages import visible_text


@pytest.fixture
def admin(client, session):
    factories.user(session, "admin1", Role.ADMIN)
    factories.department(session)
    login(client, "admin1")
    return client


def form(**overrides):
    data = {
        "code": "ACAD-100",
        "name": "学籍证明",
        "name_en": "Enrolment certificate",
        "department": "ACAD",
        "campuses": ["NH"],
        "channels": ["window", "courier_proxy"],
        "time_limit_days": "2",
        "fee_free": "1",
        "material_name": ["学生证", ""],
        "material_name_en": ["Student ID", ""],
        "material_form": ["original", "original"],
        "material_copies": ["1", "1"],
        "material_notes": ["", ""],
        "faq_q": [""],
        "faq_a": [""],
    }
    data.update(overrides)
    return data


def test_an_admin_creates_a_draft(admin, session):
    response = admin.post("/admin/catalog/new", data=form())
    assert response.status_code == 302
    item = session.scalar(select(ServiceItem).where(ServiceItem.code == "ACAD-100"))
    assert item.status == ItemStatus.DRAFT
    assert [m.name for m in item.materials] == ["学生证"]


def test_an_invalid_form_is_shown_again_with_its_problems(admin, session):
    response = admin.post("/admin/catalog/new", data=form(fee_free="", fee="", name=""))
    assert response.status_code == 422
    assert "请修正以下问题： 名称为必填项。 收费标准为必填项；不收费请填写 free。" in visible_text(
        response
    )
    assert session.scalar(select(func.count()).select_from(ServiceItem)) == 0


def test_an_admin_publishes_and_retires_an_item(admin, session):
    admin.post("/admin/catalog/new", data=form())
    admin.post("/admin/catalog/ACAD-100/publish")
    assert "学籍证明" in visible_text(admin.get("/catalog/ACAD-100"))
    admin.post("/admin/catalog/ACAD-100/retire")
    assert admin.get("/catalog/ACAD-100").status_code == 404


def test_editing_a_published_item_publishes_the_next_version(admin, session):
    admin.post("/admin/catalog/new", data=form())
    admin.post("/admin/catalog/ACAD-100/publish")
    admin.post("/admin/catalog/ACAD-100/edit", data=form(name="学籍证明（中英文）"))
    item = session.scalar(select(ServiceItem).where(ServiceItem.code == "ACAD-100"))
    assert (item.name, item.version, item.status) == ("学籍证明（中英文）", 2, "published")


def test_a_new_item_with_a_taken_code_is_refused(admin, session):
    factories.item(session, code="ACAD-100")
    response = admin.post("/admin/catalog/new", data=form())
    assert response.status_code == 422
    assert "ACAD-100" in response.get_data(as_text=True)


def test_an_import_with_bad_rows_lists_them_and_changes_nothing(admin, session):
    text = (
        "code,name,department,campuses,channels,time_limit_days,fee\n"
        "ACAD-201,成绩单,ACAD,NH,window,1,free\n"
        "ACAD-202,证明,ACAD,NH,window,1,\n"
    )
    response = admin.post(
        "/admin/catalog/import",
        data={"file": (io.BytesIO(text.encode()), "items.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "<td>3</td>" in page
    assert session.scalar(select(func.count()).select_from(ServiceItem)) == 0


def test_a_good_import_reports_what_it_did(admin, session):
    text = (
        "code,name,department,campuses,channels,time_limit_days,fee\n"
        "ACAD-201,成绩单,ACAD,NH,window,1,free\n"
    )
    response = admin.post(
        "/admin/catalog/import",
        data={"file": (io.BytesIO(text.encode("utf-8-sig")), "items.csv")},
        content_type="multipart/form-data",
    )
    assert "已导入 items.csv：新建 1 个事项，更新 0 个事项。" in visible_text(response)
    assert (
        session.scalar(select(ServiceItem.name).where(ServiceItem.code == "ACAD-201")) == "成绩单"
    )


def test_an_upload_that_is_not_csv_or_yaml_is_refused(admin):
    response = admin.post(
        "/admin/catalog/import",
        data={"file": (io.BytesIO(b"MZ"), "virus.exe")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422


def test_an_oversized_upload_is_refused(admin):
    # The builder spools a body this large to a temporary file; close it when done.
    builder = EnvironBuilder(
        path="/admin/catalog/import",
        method="POST",
        data={"file": (io.BytesIO(b"x" * (11 * 1024 * 1024)), "big.csv")},
    )
    environ = builder.get_environ()
    try:
        response = admin.open(environ)
    finally:
        environ["wsgi.input"].close()
    assert response.status_code == 413
    assert "10 MB" in response.get_data(as_text=True)


def test_the_catalog_exports_as_yaml_and_csv(admin, session):
    factories.item(session, code="ACAD-300", name="成绩单")
    assert "ACAD-300" in admin.get("/admin/catalog/export.yaml").get_data(as_text=True)
    csv_text = admin.get("/admin/catalog/export.csv").get_data(as_text=True)
    assert csv_text.startswith("\ufeffcode,name")


def test_an_admin_gives_the_fee_notes_and_questions_in_english(admin, session):
    admin.post(
        "/admin/catalog/new",
        data=form(
            fee_free="",
            fee="每份 2 元",
            fee_en="2 yuan a copy",
            material_notes=["需原件", ""],
            material_notes_en=["Original needed", ""],
            faq_q=["多久？"],
            faq_a=["两天"],
            faq_q_en=["How long?"],
            faq_a_en=["Two days"],
            contact_en="Registry, ext. 8888",
            legal_basis_en="University rules",
        ),
    )
    item = session.scalars(select(ServiceItem).where(ServiceItem.code == "ACAD-100")).one()
    assert (item.fee_en, item.materials[0].notes_en) == ("2 yuan a copy", "Original needed")
    assert item.faq == [{"q": "多久？", "a": "两天", "q_en": "How long?", "a_en": "Two days"}]
    assert (item.contact_en, item.legal_basis_en) == ("Registry, ext. 8888", "University rules")

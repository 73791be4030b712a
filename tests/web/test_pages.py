import pytest

from core.users import Role
from tests import factories
from tests.conftest import login


@pytest.fixture
def transcript(session):
    return factories.item(
        session,
        code="ACAD-001",
        name="中文成绩单开具",
        name_en="Chinese academic transcript",
        time_limit_days=3,
        materials=[{"name": "学生证", "name_en": "Student ID card", "form": "original"}],
    )


def test_the_health_check_answers(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_the_home_page_lists_departments_with_services(client, transcript):
    page = client.get("/").get_data(as_text=True)
    assert "教务处" in page
    assert "1 个事项" in page


def test_the_catalog_can_be_searched_by_chinese_text(client, transcript):
    page = client.get("/catalog/?q=成绩").get_data(as_text=True)
    assert "中文成绩单开具" in page


def test_the_catalog_can_be_filtered_by_channel(client, transcript):
    page = client.get("/catalog/?channel=online").get_data(as_text=True)
    assert "中文成绩单开具" not in page


def test_an_item_page_shows_its_materials_and_time_limit(client, transcript):
    page = client.get("/catalog/ACAD-001").get_data(as_text=True)
    assert "学生证" in page
    assert "3 个工作日" in page


def test_an_unknown_item_is_a_404_in_the_users_language(client):
    response = client.get("/catalog/NOPE-404")
    assert response.status_code == 404
    assert "没有编码为 NOPE-404 的事项" in response.get_data(as_text=True)


def test_switching_to_english_shows_english_names(client, transcript):
    client.post("/lang/en", data={"next": "/catalog/ACAD-001"})
    page = client.get("/catalog/ACAD-001").get_data(as_text=True)
    assert "Chinese academic transcript" in page
    assert "Student ID card" in page
    assert "3 working days" in page


def test_the_language_choice_is_remembered_for_the_user(client, session, transcript):
    user = factories.user(session, "wang")
    login(client, "wang")
    client.post("/lang/en")
    session.refresh(user)
    assert user.language == "en"


def test_the_language_switch_only_redirects_within_the_site(client):
    response = client.post("/lang/en", data={"next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_pages_work_on_a_phone(client):
    assert 'name="viewport"' in client.get("/").get_data(as_text=True)


def test_a_draft_is_not_public(client, session):
    factories.item(session, code="ACAD-050", status="draft")
    assert client.get("/catalog/ACAD-050").status_code == 404


def test_admins_see_the_manage_link(client, session):
    factories.user(session, "admin1", Role.ADMIN)
    login(client, "admin1")
    assert "/admin/catalog/" in client.get("/").get_data(as_text=True)


def test_an_item_page_offers_to_send_the_papers_prefilled(client, transcript):
    page = client.get(f"/catalog/{transcript.code}").text
    assert f'href="/consignments/new?item={transcript.code}"' in page


def test_an_item_page_offers_a_number_and_a_booking_in_its_departments_queue(
    client, session, transcript
):
    from tickets.models import Category

    hall = factories.hall(session)
    session.add(
        Category(hall=hall, prefix="B", name="教务", department_id=transcript.department_id)
    )
    session.flush()
    page = client.get(f"/catalog/{transcript.code}").text
    assert 'href="/hall/NH/kiosk?category=B"' in page
    assert f'href="/hall/appointments?item={transcript.code}"' in page


def test_an_online_only_item_offers_no_action(client, session):
    online = factories.item(session, code="ACAD-077", channels=["online"])
    assert 'data-test="item-actions"' not in client.get(f"/catalog/{online.code}").text


def test_the_kiosk_opened_from_the_guide_puts_that_queue_first(client, session):
    from tickets.models import Category

    hall = factories.hall(session)
    session.add_all(
        [Category(hall=hall, prefix="A", name="财务"), Category(hall=hall, prefix="B", name="教务")]
    )
    session.flush()
    page = client.get("/hall/kiosk?category=B").text
    assert page.index('data-test="take-B"') < page.index('data-test="take-A"')
    assert 'data-test="take-B" class="chosen"' in page


def _in_english(client, code):
    client.post("/lang/en")
    return client.get(f"/catalog/{code}").text


def test_english_pages_show_the_english_fee_and_notes_where_the_catalog_has_them(client, session):
    item = factories.item(
        session,
        code="ACAD-201",
        fee="每份 2 元",
        fee_en="2 yuan a copy",
        materials=[
            {"name": "申请表", "form": "original", "notes": "需盖章", "notes_en": "Stamped"}
        ],
        faq=[{"q": "多久？", "a": "三天", "q_en": "How long?", "a_en": "Three days"}],
    )
    page = _in_english(client, item.code)
    assert all(text in page for text in ("2 yuan a copy", "Stamped", "How long?", "Three days"))
    assert 'data-test="chinese-only"' not in page.split('data-test="time-limit"')[1].split("<h2")[0]


def test_english_pages_say_when_a_catalog_text_is_chinese_only(client, session):
    item = factories.item(session, code="ACAD-202", fee="每份 2 元", contact="教务处 8888")
    page = _in_english(client, item.code)
    fee = page.split("每份 2 元")[1][:120]
    assert 'data-test="chinese-only"' in fee
    assert "(Chinese only)" in page


def test_chinese_pages_never_say_chinese_only(client, session):
    item = factories.item(session, code="ACAD-203", fee="每份 2 元")
    assert 'data-test="chinese-only"' not in client.get(f"/catalog/{item.code}").text


def test_one_working_day_is_singular_in_english(client, session):
    item = factories.item(session, code="ACAD-204", time_limit_days=1)
    page = _in_english(client, item.code)
    assert "1 working day<" in page


def test_the_home_page_counts_one_service_in_the_singular(client, transcript):
    client.post("/lang/en")
    assert "1 service<" in client.get("/").text

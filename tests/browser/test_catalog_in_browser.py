"""What people do in the browser: log in, find a service, edit and publish, switch language."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot


def test_a_teacher_logs_in_and_sees_their_name(page):
    log_in(page, "teacher")
    expect(page.locator(".who")).to_have_text("王老师 Wang Li")
    screenshot(page, "home")


def test_a_wrong_password_shows_a_generic_message(page):
    log_in(page, "teacher", "not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("账号或密码错误")


def test_a_visitor_searches_the_catalog_and_opens_an_item(phone):
    phone.goto("/")
    phone.fill("input[name=q]", "成绩单")
    phone.keyboard.press("Enter")
    expect(phone.locator("[data-test=result-count]")).not_to_have_text(re.compile(r"^共找到 0 "))
    screenshot(phone, "catalog-search-phone")
    phone.locator(".items a").first.click()
    expect(phone.locator("h1")).to_contain_text("成绩单")
    expect(phone.locator("table.materials")).to_be_visible()
    screenshot(phone, "item-detail-phone")


def test_pinyin_initials_find_a_service(page):
    page.goto("/catalog/?q=cjd")
    expect(page.locator(".items li").first).to_contain_text("成绩单")


def test_filtering_by_department_narrows_the_list(page):
    page.goto("/catalog/")
    page.select_option("select[name=department]", "LIB")
    page.click("form.filters button[type=submit]")
    expect(page).to_have_url(re.compile(r"department=LIB"))
    for meta in page.locator(".items .meta").all_inner_texts():
        assert "图书馆" in meta


def test_an_admin_creates_edits_and_publishes_an_item(page):
    log_in(page, "admin")
    page.goto("/admin/catalog/new")
    page.fill("input[name=code]", "LIB-900")
    page.select_option("select[name=department]", "LIB")
    page.fill("input[name=name]", "古籍阅览预约")
    page.fill("input[name=name_en]", "Rare book reading appointment")
    page.fill("input[name=time_limit_days]", "2")
    page.check("input[name=campuses][value=NH]")
    page.check("input[name=channels][value=window]")
    page.locator("input[name=material_name]").first.fill("校园卡")
    page.click("[data-test=save]")
    expect(page.locator("h1")).to_contain_text("LIB-900")
    expect(page.locator("h1 .status")).to_have_text("草稿")
    page.fill("input[name=name]", "古籍阅览预约（善本）")
    page.click("[data-test=save]")
    page.click("[data-test=publish]")
    expect(page.locator("h1 .status")).to_have_text("已发布")
    screenshot(page, "admin-item-published")
    page.goto("/catalog/LIB-900")
    expect(page.locator("h1")).to_have_text("古籍阅览预约（善本）")
    expect(page.locator("[data-test=time-limit]")).to_have_text("2 个工作日")


def test_an_admin_sees_row_errors_of_a_bad_import(page, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "code,name,department,campuses,channels,time_limit_days,fee\nLIB-901,,LIB,NH,window,1,\n",
        encoding="utf-8",
    )
    log_in(page, "admin")
    page.goto("/admin/catalog/import")
    page.set_input_files("input[type=file]", str(bad))
    page.click("form.card button[type=submit]")
    expect(page.locator("[data-test=import-problems]")).to_contain_text("2")
    screenshot(page, "admin-import-errors")


def test_the_language_switch_turns_the_pages_english_and_back(page):
    page.goto("/catalog/ACAD-001")
    page.click("[data-test=switch-language]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("nav")).to_contain_text("Service guide")
    screenshot(page, "item-detail-english")
    page.click("[data-test=switch-language]")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")


def test_a_student_cannot_open_the_admin_pages(page):
    log_in(page, "student")
    response = page.goto("/admin/catalog/")
    assert response.status == 403


def test_an_admin_sees_the_locker_banks_and_opens_a_compartment(page):
    log_in(page, "admin")
    page.goto("/admin/lockers/")
    expect(page.locator("[data-test=bank-NH-PU-01]")).to_be_visible()
    screenshot(page, "admin-lockers")
    page.click("[data-test=bank-NH-PU-01] h2 a")
    page.fill("input[name=reason]", "门卡住，远程开门")
    page.click("[data-test=open]")
    expect(page.get_by_role("status")).to_contain_text("正在打开")
    screenshot(page, "admin-locker-detail")


def test_the_pickup_kiosk_checks_a_six_digit_code_at_once(phone):
    phone.goto("/lockers/NH-PU-01/kiosk")
    phone.fill("[data-test=pickup-code]", "123456")
    phone.keyboard.press("Enter")
    expect(phone.get_by_role("status")).to_contain_text("取件码错误，还可尝试")
    screenshot(phone, "pickup-kiosk")

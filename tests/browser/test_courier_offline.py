"""The courier's phone with no network: scans wait in IndexedDB through a reload and an ended
session, the service worker opens the page, and after logging in again each scan is recorded
once. Refusals are red, announced as alerts, with a sound and a vibration."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from sqlalchemy import delete, func, select

from core.db import make_engine, make_session_factory, unit_of_work
from core.users import User
from courier.consignments import NewConsignment
from courier.models import Consignment, CustodyEvent, ScanRecord
from courier.scans import Scan, process_scans
from courier.states import Kind
from routes.manifests import build_manifest
from routes.models import Manifest, ManifestItem
from services.bootstrap import build_bus
from services.consignments import submit
from tests.browser.conftest import log_in, screenshot

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESK = {"width": 1366, "height": 768}


@pytest.fixture
def envelopes(live_database: str) -> Iterator[list[str]]:
    """Ten envelopes a teacher registered, waiting to be handed in at the Nanhu locker site."""
    engine = make_engine(live_database)
    with unit_of_work(make_session_factory(engine, build_bus())) as session:
        teacher = session.scalar(select(User).where(User.login == "teacher"))
        new = NewConsignment(service_item="SCI-002", origin_campus="NH", pickup_campus="NH")
        codes = [
            submit(session, teacher, new, "l", accept_later=True).consignment.tracking_code
            for _ in range(10)
        ]
    yield codes
    engine.dispose()


@pytest.fixture
def checklist(live_database: str) -> Iterator[tuple[str, str]]:
    """A departure's checklist, and the envelope handed in at the Nanhu drop box it collects."""
    engine = make_engine(live_database)
    with unit_of_work(make_session_factory(engine, build_bus())) as session:
        teacher = session.scalar(select(User).where(User.login == "teacher"))
        courier = session.scalar(select(User).where(User.login == "courier"))
        new = NewConsignment(service_item="SCI-002", origin_campus="NH", pickup_campus="NH")
        submitted = submit(session, teacher, new, "l", accept_later=True)
        code = submitted.consignment.tracking_code
        handed_in = Scan(id=str(uuid.uuid4()), code=code, kind="deposit", location="NH-LOCKER-1")
        process_scans(session, courier, [handed_in], "l")
        assert submitted.plan is not None
        leg = submitted.plan.legs[0]
        manifest_id = build_manifest(session, leg.trip_id, leg.service_date, leg.departs_at).id
    yield f"/network/manifests/{manifest_id}", code
    # Other browser tests build today's manifests themselves, from the departures page.
    with unit_of_work(make_session_factory(engine, build_bus())) as session:
        session.execute(delete(ManifestItem).where(ManifestItem.manifest_id == manifest_id))
        session.execute(delete(Manifest).where(Manifest.id == manifest_id))
    engine.dispose()


@pytest.fixture
def on_the_bus(live_database: str) -> Iterator[str]:
    """An envelope on the shuttle from Nanhu to Xiling."""
    engine = make_engine(live_database)
    with unit_of_work(make_session_factory(engine, build_bus())) as session:
        teacher = session.scalar(select(User).where(User.login == "teacher"))
        courier = session.scalar(select(User).where(User.login == "courier"))
        new = NewConsignment(service_item="SCI-002", origin_campus="NH", pickup_campus="NH")
        code = submit(session, teacher, new, "l", accept_later=True).consignment.tracking_code
        hops = [("deposit", "NH-LOCKER-1"), ("collect", "NH-LOCKER-1"), ("load", "NH-SHUTTLE")]
        scans = [Scan(str(uuid.uuid4()), code, kind, place) for kind, place in hops]
        assert all(result.ok for result in process_scans(session, courier, scans, "l"))
    yield code
    engine.dispose()


def collections(live_database: str, code: str) -> int:
    engine = make_engine(live_database)
    with unit_of_work(make_session_factory(engine, build_bus())) as session:
        count = session.scalar(
            select(func.count(CustodyEvent.id))
            .join(Consignment, CustodyEvent.consignment_id == Consignment.id)
            .where(Consignment.tracking_code == code, CustodyEvent.kind == Kind.COLLECTED)
        )
    engine.dispose()
    return count or 0


def recorded(live_database: str, codes: list[str]) -> tuple[dict[str, int], int]:
    """Deposits per envelope, and the scans the server logged for them."""
    engine = make_engine(live_database)
    with unit_of_work(make_session_factory(engine, build_bus())) as session:
        ids = select(Consignment.id).where(Consignment.tracking_code.in_(codes))
        deposits = dict(
            session.execute(
                select(Consignment.tracking_code, func.count(CustodyEvent.id))
                .join(CustodyEvent, CustodyEvent.consignment_id == Consignment.id)
                .where(Consignment.id.in_(ids), CustodyEvent.kind == Kind.DEPOSITED)
                .group_by(Consignment.tracking_code)
            ).all()
        )
        scans = session.scalar(
            select(func.count(ScanRecord.id)).where(ScanRecord.consignment_id.in_(ids))
        )
    engine.dispose()
    return deposits, scans


def wait_until_kept(page, path: str) -> None:
    """Wait for the service worker to keep ``path`` (it fetches a first visit in the background)."""
    deadline = time.monotonic() + 10
    while not page.evaluate("async (path) => !!(await caches.match(path))", path):
        assert time.monotonic() < deadline, f"the service worker never kept {path}"
        page.wait_for_timeout(100)


def both_sizes(page, name: str) -> None:
    screenshot(page, f"{name}-phone")
    page.set_viewport_size(DESK)
    screenshot(page, f"{name}-desk")
    page.set_viewport_size(PHONE["viewport"])


def test_ten_scans_made_offline_outlive_a_reload_and_the_session_and_are_recorded_once(
    browser, live_server, live_database, envelopes
):
    context = browser.new_context(base_url=live_server, locale="zh-CN", **PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, "courier")
    page.goto("/courier/scan")
    wait_until_kept(page, "/courier/scan")
    wait_until_kept(page, "/static/courier-queue.js")
    page.select_option("[data-test=kind]", "deposit")
    page.select_option("[data-test=location]", "NH-LOCKER-1")
    both_sizes(page, "offline-1-online")

    context.set_offline(True)
    for code in envelopes:
        page.fill("[data-test=code]", code)
        page.keyboard.press("Enter")
    expect(page.locator("[data-test=queued-count]")).to_have_text("10")
    expect(page.locator("[data-test=queue-state]")).to_contain_text("离线")
    page.reload()
    expect(page.locator("[data-test=queued-count]")).to_have_text("10")
    expect(page.locator("[data-test=queued-scan]")).to_have_count(10)
    page.locator("#queued summary").click()
    both_sizes(page, "offline-2-queued")

    context.clear_cookies()
    # With no session and no network, only the service worker's copy can open the page.
    page.reload()
    expect(page.locator("[data-test=queued-count]")).to_have_text("10")
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("[data-test=session-ended]")).to_be_visible()
    expect(page.locator("[data-test=session-ended]")).to_contain_text("待发送：10")
    both_sizes(page, "offline-3-session-ended")
    assert recorded(live_database, envelopes) == ({}, 0)

    page.click("[data-test=log-in-again]")
    page.fill("input[name=login]", "courier")
    page.fill("input[name=password]", "demo1234")
    page.click("form.card button[type=submit]")
    expect(page).to_have_url(re.compile(r"/courier/scan$"))
    expect(page.locator("[data-test=log] li.ok")).to_have_count(10)
    expect(page.locator("#queued")).to_be_hidden()
    both_sizes(page, "offline-4-synced")
    context.close()

    assert recorded(live_database, envelopes) == (dict.fromkeys(envelopes, 1), 10)


RECORD_FEEDBACK = """
window.feedback = { vibrations: [], beeps: 0 };
navigator.vibrate = (pattern) => { window.feedback.vibrations.push(pattern); return true; };
const start = AudioScheduledSourceNode.prototype.start;
AudioScheduledSourceNode.prototype.start = function (...args) {
  window.feedback.beeps += 1;
  return start.apply(this, args);
};
"""


def test_a_refused_scan_is_red_and_announced_as_an_alert(phone):
    phone.add_init_script(RECORD_FEEDBACK)
    log_in(phone, "courier")
    phone.goto("/courier/scan")
    phone.fill("[data-test=code]", "NOT-OUR-LABEL-1")
    phone.keyboard.press("Enter")
    result = phone.locator("[data-test=result]")
    expect(result).to_have_class(re.compile("refused"))
    expect(result).to_have_attribute("role", "alert")
    expect(result).to_have_css("background-color", "rgb(179, 38, 30)")
    expect(result).to_contain_text("未通过")
    screenshot(phone, "offline-refused-phone")


def test_a_misrouted_envelope_is_amber_and_announced_as_an_alert(phone, on_the_bus):
    phone.add_init_script(RECORD_FEEDBACK)
    log_in(phone, "courier")
    phone.goto("/courier/scan")
    phone.select_option("[data-test=kind]", "unload")
    phone.select_option("[data-test=location]", "DJ-LOCKER-1")
    phone.fill("[data-test=code]", on_the_bus)
    phone.keyboard.press("Enter")
    result = phone.locator("[data-test=result]")
    expect(result).to_have_class(re.compile("warn"))
    expect(result).to_have_attribute("role", "alert")
    expect(result).to_have_css("background-color", "rgb(245, 179, 1)")
    expect(result).to_contain_text("错送")
    assert phone.evaluate("window.feedback.vibrations") == [[150, 80, 150]]
    screenshot(phone, "offline-misrouted-phone")


def test_a_refused_scan_vibrates_and_beeps(phone):
    phone.add_init_script(RECORD_FEEDBACK)
    log_in(phone, "courier")
    phone.goto("/courier/scan")
    phone.fill("[data-test=code]", "NOT-OUR-LABEL-2")
    phone.keyboard.press("Enter")
    expect(phone.locator("[data-test=result]")).to_have_class(re.compile("refused"))
    assert phone.evaluate("window.feedback.vibrations") == [[300, 100, 300]]
    assert phone.evaluate("window.feedback.beeps") == 1


def test_a_checklist_scan_made_offline_waits_through_a_reload_and_is_ticked_once_sent(
    browser, live_server, live_database, checklist
):
    address, code = checklist
    context = browser.new_context(base_url=live_server, locale="zh-CN", **PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, "courier")
    page.goto(address)
    wait_until_kept(page, address)
    wait_until_kept(page, "/static/manifest.js")
    item = page.locator(f"[data-test=item-collect-{code}]")

    context.set_offline(True)
    page.fill("[data-test=code]", code)
    page.keyboard.press("Enter")
    expect(item).to_have_class(re.compile("queued"))
    expect(item.locator("[data-test=note]")).to_have_text("待发送")
    page.reload()
    expect(item).to_have_class(re.compile("queued"))
    both_sizes(page, "offline-checklist-queued")
    assert collections(live_database, code) == 0

    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(item).to_have_class(re.compile("done"))
    expect(page.locator("[data-test=result]")).to_have_class("ok")
    both_sizes(page, "offline-checklist-sent")
    context.close()
    assert collections(live_database, code) == 1


def test_a_code_not_on_the_checklist_is_refused_in_red_with_the_reason(phone, checklist):
    address, _code = checklist
    log_in(phone, "courier")
    phone.goto(address)
    phone.fill("[data-test=code]", "NOT-ON-THIS-BUS")
    phone.keyboard.press("Enter")
    result = phone.locator("[data-test=result]")
    expect(result).to_have_attribute("role", "alert")
    expect(result).to_have_css("background-color", "rgb(179, 38, 30)")
    expect(result).to_contain_text("不在本班次清单上")


def test_a_queued_scan_is_discarded_only_once_the_courier_confirms(phone):
    log_in(phone, "courier")
    phone.goto("/courier/scan")
    phone.context.set_offline(True)
    for code in ("PAPER-ONE", "PAPER-TWO"):
        phone.fill("[data-test=code]", code)
        phone.keyboard.press("Enter")
    waiting = phone.locator("[data-test=queued-scan]")
    expect(waiting).to_have_count(2)
    phone.locator("#queued summary").click()
    waiting.first.locator("[data-test=discard]").click()
    waiting.first.locator("[data-test=discard-keep]").click()
    expect(waiting).to_have_count(2)
    waiting.first.locator("[data-test=discard]").click()
    screenshot(phone, "offline-discard-ask-phone")
    waiting.first.locator("[data-test=discard-confirm]").click()
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text("PAPER-TWO")
    assert phone.evaluate("courierQueue.list().then((scans) => scans.length)") == 1


def test_a_batch_the_server_refuses_stays_on_the_phone_and_says_why(phone):
    log_in(phone, "courier")
    phone.goto("/courier/scan")
    phone.evaluate("courierQueue.add({ id: 'short', code: 'PAPER', kind: 'deposit' })")
    expect(phone.locator("[data-test=queue-state]")).to_contain_text("服务器未接收")
    expect(phone.locator("[data-test=queue-state]")).to_contain_text("第 1 条扫描须有唯一 id")
    expect(phone.locator("[data-test=queued-count]")).to_have_text("1")

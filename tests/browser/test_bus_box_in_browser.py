"""The bus box in the browser: a departure whose box confirmed its manifest, and one whose box
never saw an envelope scanned onto it, which the hub's page shows as an alert."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from core import clock
from core.db import make_engine, make_session_factory, unit_of_work
from core.users import User
from courier.consignments import NewConsignment, create_consignment
from firmware_bridge.ingest import handle
from lockers.compartments import bank_by_controller
from routes.bus_box import flag_unseen_loads
from routes.manifests import departures
from routes.models import Manifest, ManifestAction, ManifestItem, Trip
from services.bootstrap import build_bus, with_code_key
from tests.browser.conftest import log_in, screenshot

LABEL_KEY = "l"
DESK = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


@dataclass(frozen=True)
class Departure:
    manifest_id: int
    trip: str
    date: str
    code: str
    hub: str


def _ride(session, trip_id, date, leaves) -> Departure:
    """One envelope on a departure that left: its manifest (built before it left) loads it at
    the first stop and unloads it at the last; the courier's load scan is ticked off."""
    trip = session.get(Trip, trip_id)
    first, last = trip.stop_times[0], trip.stop_times[-1]
    teacher = session.scalar(select(User).where(User.login == "teacher"))
    envelope = create_consignment(
        session,
        teacher,
        NewConsignment(service_item="SCI-002", origin_campus=first.stop.location.campus.code),
        LABEL_KEY,
    )
    arrives = _arrival(trip, leaves)
    manifest = Manifest(
        trip_id=trip_id,
        service_date=date,
        departs_at=leaves,
        built_at=leaves - dt.timedelta(minutes=45),
    )
    session.add(manifest)
    session.flush()
    for action, call, due, done in (
        (ManifestAction.LOAD, first, leaves, leaves - dt.timedelta(minutes=4)),
        (ManifestAction.UNLOAD, last, arrives, None),
    ):
        session.add(
            ManifestItem(
                manifest_id=manifest.id, consignment_id=envelope.id,
                tracking_code=envelope.tracking_code, action=action,
                location_id=call.stop.location_id, due_at=due, done_at=done,
            )
        )  # fmt: skip
    session.flush()
    return Departure(
        manifest.id, trip.code, date.isoformat(), envelope.tracking_code, first.stop.code
    )


def _arrival(trip: Trip, leaves: dt.datetime) -> dt.datetime:
    """When ``trip``, leaving its first stop at ``leaves``, reaches its last."""
    first, last = trip.stop_times[0], trip.stop_times[-1]
    return leaves + dt.timedelta(minutes=last.arrive_minute - first.depart_minute)


def _box_event(session, controller, seq, kind, data, at) -> None:
    bank = bank_by_controller(session, controller)
    body = {"v": 1, "ctl": controller, "boot": 1, "seq": seq, "type": kind,
            "ts": at.isoformat(), "data": data}  # fmt: skip
    topic = f"cc/v1/{bank.campus.code}/{controller}/evt"
    handle(session, topic, json.dumps(body).encode(), LABEL_KEY)


@pytest.fixture(scope="module")
def rides(live_database) -> tuple[Departure, Departure]:
    """Two buses that left within the last day: the first one's box saw its envelope go in at
    the stop and come out where it is unloaded; the second one's box never saw its envelope."""
    engine = make_engine(live_database)
    factory = make_session_factory(engine, build_bus())
    now = clock.now()
    with unit_of_work(lambda: with_code_key(factory(), "c")) as session:
        # Trips that have arrived: the box's last events come minutes after the arrival, and a
        # controller's clock may run only minutes ahead of the server's (a long trip that left
        # in the morning may still be on the road at noon).
        arrived = [
            (trip_id, date, leaves)
            for trip_id, date, leaves in departures(
                session, now - dt.timedelta(hours=20), now - dt.timedelta(minutes=30)
            )
            if (vehicle := session.get(Trip, trip_id).vehicle)
            and vehicle.bus_box
            and _arrival(session.get(Trip, trip_id), leaves) + dt.timedelta(minutes=5) <= now
        ]
        if len(arrived) < 2:
            pytest.skip("no two demo departures arrived in the last 20 hours")
        confirmed_trip, missing_trip = arrived[-1], arrived[-2]
        confirmed = _ride(session, *confirmed_trip)
        missing = _ride(session, *missing_trip)
        box = session.get(Trip, confirmed_trip[0]).vehicle.bus_box
        leaves = confirmed_trip[2]
        arrives = _arrival(session.get(Trip, confirmed_trip[0]), leaves)
        minutes = dt.timedelta(minutes=1)
        card, code = {"compartment": 1, "by": "card"}, confirmed.code
        events = (
            ("door_opened", card, leaves - 3 * minutes),
            ("deposit", {"compartment": 1, "label": code}, leaves - 3 * minutes),
            ("door_closed", {"compartment": 1, "occupied": True}, leaves - 2 * minutes),
            ("door_opened", card, arrives + 2 * minutes),
            ("removal", {"compartment": 1, "label": code}, arrives + 2 * minutes),
            ("door_closed", {"compartment": 1, "occupied": False}, arrives + 3 * minutes),
        )
        for seq, (kind, data, at) in enumerate(events, start=1):
            _box_event(session, box, seq, kind, data, at)
        flag_unseen_loads(session, now)
    engine.dispose()
    return confirmed, missing


def _context(browser, live_server, viewport):
    return browser.new_context(
        base_url=live_server, locale="zh-CN", viewport=viewport, is_mobile=viewport == PHONE
    )


@pytest.mark.parametrize("size", ["phone", "desk"])
def test_a_bus_trip_whose_box_confirms_its_manifest(browser, live_server, rides, size):
    confirmed, _missing = rides
    context = _context(browser, live_server, PHONE if size == "phone" else DESK)
    page = context.new_page()
    log_in(page, "courier")
    page.goto(f"/network/manifests/{confirmed.manifest_id}")
    for action in ("load", "unload"):
        item = page.locator(f"[data-test=item-{action}-{confirmed.code}]")
        expect(item.locator("[data-test=box-seen]")).to_contain_text("班车箱已确认")
    expect(page.locator("[data-test=box-summary]")).to_contain_text("已确认 2 次")
    screenshot(page, f"bus-box-manifest-confirmed-{size}")
    page.goto(f"/network/departures?date={confirmed.date}")
    expect(page.locator(f"[data-test=box-{confirmed.trip}]")).to_have_text("班车箱：已确认 2 / 2")
    screenshot(page, f"bus-box-departures-{size}")
    context.close()


@pytest.mark.parametrize("size", ["phone", "desk"])
def test_an_envelope_the_box_never_saw_is_an_alert_on_the_hubs_page(
    browser, live_server, rides, size
):
    _confirmed, missing = rides
    context = _context(browser, live_server, PHONE if size == "phone" else DESK)
    page = context.new_page()
    log_in(page, "admin")
    page.goto(f"/network/manifests/{missing.manifest_id}")
    item = page.locator(f"[data-test=item-load-{missing.code}]")
    expect(item.locator("[data-test=box-missing]")).to_have_text("班车箱未见此件")
    screenshot(page, f"bus-box-manifest-missing-{size}")
    page.goto(f"/network/hubs/{missing.hub}")
    expect(page.locator("[data-test=alert-kind]").first).to_have_text("班车箱未见此件")
    expect(page.locator("[data-test=box-alerts]")).to_contain_text(
        f"{missing.code} scanned as loaded on {missing.trip}"
    )
    screenshot(page, f"bus-box-hub-alert-{size}")
    page.goto("/admin/lockers/")
    expect(page.locator("main")).to_contain_text(f"{missing.code} scanned as loaded")
    context.close()

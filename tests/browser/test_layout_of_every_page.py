"""Every page, as every role that may see it, on a phone and a desk: the layout rules hold.

The walk takes the GET routes from the app's URL map, so a new page is checked without anyone
adding it here. Routes with parameters get demo values from :func:`demo_parameters`; routes
that are not screens (JSON, CSV, images, streams) are listed in :data:`NOT_SCREENS` with the
reason, and a route in neither makes the walk fail. Each visit checks the layout rules of
``layout_checks.js``, the console, every request, and axe-core's serious and critical
violations; the screenshots go to ``screenshots/layout/`` and the routes walked per role to
``screenshots/layout/walked.json``. To stay within a few minutes on a busy CI machine, one
browser page per viewport walks everything, a page whose content a role gets exactly as another
role did is not drawn again (its menu is checked on that role's home page), and axe-core and the
screenshot run once per screen and viewport (and on each role's home page).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy import select

from core.db import make_engine, make_session_factory, unit_of_work
from services.bootstrap import build_bus
from tests.browser.conftest import SCREENSHOTS, log_in

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHECKS = (Path(__file__).parent / "layout_checks.js").read_text(encoding="utf-8")

VIEWPORTS = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "desk": {"viewport": {"width": 1366, "height": 768}},
}

CSRF = re.compile(r'name="csrf_token" value="[^"]*"')

#: Who walks: nobody signed in, then one demo user of each role.
ROLES = ("anonymous", "admin", "teacher", "student", "courier", "clerk", "hall")

#: GET routes that are not screens a person reads, and why the walk leaves them out.
NOT_SCREENS = {
    "static": "static files: the pages walked load them, and a failed load fails the walk",
    "home.healthz": "plain-text health probe for the process supervisor",
    "home.readyz": "JSON readiness probe for the load balancer",
    "admin_catalog.export": "a YAML or CSV download",
    "tickets_admin.stats_csv": "a CSV download",
    "network.export": "a CSV download",
    "dashboard.csv": "a CSV download",
    "dashboard.chart": "an SVG chart image, shown inside the dashboard that is walked",
    "network.diagram_svg": "an SVG image, shown inside the network page that is walked",
    "network.manifest_json": "JSON the manifest page polls",
    "tickets.stream": "a server-sent event stream the display board listens to",
    "consignments.label_file": "a PDF label download",
    "consignments.photo": "an image shown on the consignment page",
    "courier.session_check": "JSON the courier's queue asks before sending",
    "courier_app.service_worker": "the courier app's service worker script",
    "courier_app.web_manifest": "the courier app's web app manifest (JSON)",
    "courier_app.icon": "the courier app's home-screen icon (PNG)",
    "tickets.booking_calendar": "an appointment's calendar file (.ics) download",
}


#: Blueprints with no screens at all, and why.
NOT_SCREEN_BLUEPRINTS = {
    "api": "the JSON API (/api/...), described by /api/openapi.json and tested in tests/web",
}


def _not_a_screen(endpoint: str) -> bool:
    return endpoint in NOT_SCREENS or endpoint.partition(".")[0] in NOT_SCREEN_BLUEPRINTS


@dataclass
class Visit:
    """What one page load did besides drawing the page."""

    console: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def axe_source() -> str:
    """axe-core, installed from the npm registry by ``make`` (or here, when it has not run)."""
    if not AXE.exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=ROOT, check=True)
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def demo_parameters(live_database: str) -> dict[str, dict[str, Any]]:
    """A demo value for each route parameter, read from (or added to) the demo database."""
    from catalog.models import Location, ServiceItem
    from core.password_links import issue_link
    from core.users import User
    from courier.models import Consignment
    from feedback.models import FollowUp
    from firmware_bridge.commands import queue_command
    from firmware_bridge.models import CommandStatus
    from lockers.models import BankKind, LockerBank
    from routes.manifests import build_manifest
    from routes.models import PlanLeg, Stop
    from services.bootstrap import with_code_key
    from services.pickups import waiting_for
    from tickets.appointments import book
    from tickets.booking_links import link_token
    from tickets.models import Category, Slot
    from tickets.queue import cancel, take_ticket, today
    from web.demo import seed_pickups

    engine = make_engine(live_database)
    with unit_of_work(make_session_factory(engine, build_bus())) as session:
        item = session.scalars(select(ServiceItem.code).order_by(ServiceItem.code)).first()
        consignment = session.scalars(select(Consignment).order_by(Consignment.id)).first()
        hub = session.scalars(
            select(Location.code).join(Stop, Stop.location_id == Location.id).where(Stop.is_hub)
        ).first()
        pickup_bank = session.scalars(
            select(LockerBank.controller).where(LockerBank.kind == BankKind.PICKUP)
        ).first()
        leg = session.scalars(select(PlanLeg).order_by(PlanLeg.id)).first()
        follow_up = session.scalars(select(FollowUp).order_by(FollowUp.id)).first()
        for demo in (item, consignment, hub, pickup_bank, leg, follow_up):
            assert demo, "the demo data no longer has what the walk needs"
        # A departure a month on: other browser tests build today's manifests themselves.
        later = dt.timedelta(days=30)
        departs_at = leg.departs_at.replace(tzinfo=leg.departs_at.tzinfo or dt.UTC) + later
        manifest = build_manifest(session, leg.trip_id, leg.service_date + later, departs_at)
        category = session.scalars(select(Category).order_by(Category.id)).first()
        assert category is not None
        # Cancelled at once: a waiting ticket would be called before other tests' visitors.
        ticket = cancel(session, take_ticket(session, category))
        teacher = session.scalars(select(User).where(User.login == "teacher")).one()
        keyed = with_code_key(session, "c")
        # A password-set link for the demo student: its page is public and needs the token.
        student = session.scalars(select(User).where(User.login == "student")).one()
        password_link = issue_link(keyed, student, "c", dt.timedelta(days=30))
        waiting = waiting_for(keyed, teacher)
        if not waiting:
            # What `courier run` adds to the demo: results waiting in pickup lockers.
            seed_pickups(keyed, "l")
            waiting = waiting_for(keyed, teacher)
        assert waiting, "the demo data no longer has a result waiting in a pickup locker"
        # A kiosk opening the controller already confirmed: no bridge runs, so none is sent.
        bank = session.scalars(select(LockerBank).where(LockerBank.controller == pickup_bank)).one()
        opened = queue_command(
            session, bank, "open", {"compartment": 1, "for": "pickup"}, reason="layout walk"
        )
        opened.status = CommandStatus.DONE
        # A drop-box door the controller opened for a label: the screen asks for the envelope.
        drop_bank = session.scalars(
            select(LockerBank).where(LockerBank.kind == BankKind.DROP_BOX)
        ).first()
        assert drop_bank is not None, "the demo data no longer has a drop box"
        dropped = queue_command(
            session, drop_bank, "open", {"compartment": 1, "for": "deposit"}, reason="layout walk"
        )
        dropped.status = CommandStatus.DONE
        # An appointment of teacher2 (the browser walks book for others), for its link's page.
        slot = session.scalars(
            select(Slot).where(Slot.day > today() + dt.timedelta(days=2)).order_by(Slot.id)
        ).first()
        assert slot is not None, "the demo data no longer has appointment times"
        teacher2 = session.scalars(select(User).where(User.login == "teacher2")).one()
        booking = book(keyed, teacher2, slot.id)
        session.flush()
        parameters: dict[str, dict[str, Any]] = {
            "admin_catalog.edit": {"code": item},
            "catalog.detail": {"code": item},
            "agents.work": {"code": consignment.tracking_code},
            "consignments.detail": {"code": consignment.tracking_code},
            "consignments.print_label": {"code": consignment.tracking_code},
            "consignments.print_sheet": {"code": consignment.tracking_code},
            "admin_users.edit": {"user_id": teacher.id},
            "auth.set_password": {"token": password_link},
            "tracking.track": {"code": consignment.tracking_code},
            "network.hub": {"code": hub},
            "network.manifest": {"manifest_id": manifest.id},
            "lockers.detail": {"controller": pickup_bank},
            "lockers.kiosk": {"controller": pickup_bank},
            "lockers.kiosk_opening": {"controller": pickup_bank, "cmd": opened.cmd_id},
            "lockers.drop": {"controller": drop_bank.controller},
            "lockers.drop_opening": {
                "controller": drop_bank.controller,
                "code": consignment.tracking_code,
                "cmd": dropped.cmd_id,
            },
            "pickups.by_link": {"token": waiting[0].token},
            "tickets.ticket": {"ticket_id": ticket.id, "kiosk": 1},
            "feedback.rate_page": {"code": follow_up.label},
            "feedback.detail": {"follow_up_id": follow_up.id},
            "tickets.console": {"hall_code": "XL", "number": 1},
            "tickets.rate_page": {"hall_code": "XL", "number": 1},
            "tickets.kiosk": {"hall_code": "XL"},
            "tickets.display": {"hall_code": "XL"},
            "tickets.booking": {"token": link_token(keyed, booking)},
        }
    engine.dispose()
    return parameters


def screens_of(app: Any, parameters: dict[str, dict[str, Any]]) -> tuple[list[Any], list[str]]:
    """(endpoint, path) of every screen in ``app``'s URL map, and the rules left unlisted."""
    from flask import url_for

    paths: list[tuple[str, str]] = []
    unlisted: list[str] = []
    with app.test_request_context():
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if "GET" not in (rule.methods or ()) or _not_a_screen(rule.endpoint):
                continue
            values = parameters.get(rule.endpoint, {})
            if set(rule.arguments) - set(values):
                unlisted.append(rule.rule)
                continue
            paths.append((rule.endpoint, url_for(rule.endpoint, **values)))
    return paths, unlisted


def _url_map_app() -> Any:
    """An app built as the live server's is, for its URL map."""
    from core.config import Settings
    from web.app import create_app

    settings = Settings(
        database_url="sqlite://", mqtt_url=None, secret_key="m", label_key="m", code_key="m"
    )
    return create_app(settings)


@pytest.fixture(scope="module")
def screens(demo_parameters: dict[str, dict[str, Any]]) -> list[tuple[str, str]]:
    """Every screen, plus a page that does not exist (the error page is a screen too)."""
    app = _url_map_app()
    paths, unlisted = screens_of(app, demo_parameters)
    app.extensions["courier_sessions"].dispose()
    assert not unlisted, (
        f"no demo parameters for {unlisted}: add them to demo_parameters, "
        "or to NOT_SCREENS with the reason the route is not a screen"
    )
    return [*paths, ("error-404", "/no-such-page")]


@pytest.fixture(scope="module")
def walked() -> Iterator[dict[str, dict[str, list[str]]]]:
    """Routes walked per viewport and role, written out for the report when the module ends."""
    folder = SCREENSHOTS / "layout"
    # Screenshots of an earlier walk would pass for this one's.
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    record: dict[str, dict[str, list[str]]] = {}
    yield record
    (folder / "walked.json").write_text(json.dumps(record, indent=1, ensure_ascii=False))


def _open_page(browser: Any, live_server: str, viewport: str, axe: str) -> Any:
    context = browser.new_context(base_url=live_server, locale="zh-CN", **VIEWPORTS[viewport])
    context.add_init_script(script=axe)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def _watch(page: Any) -> Visit:
    visit = Visit()

    def on_console(message: Any) -> None:
        # The error page's own 404 is what it is for; any other error is a fault.
        expected = message.location.get("url", "").endswith("/no-such-page")
        if message.type == "error" and not expected:
            visit.console.append(message.text)

    def on_failed(request: Any) -> None:
        # Moving on to the next page cancels what the last one still loaded (the display
        # board's event stream, a late icon): a cancelled request is not a failed one.
        if request.failure != "net::ERR_ABORTED":
            visit.failed.append(f"{request.url}: {request.failure}")

    def on_response(response: Any) -> None:
        # The page's own status is the walk's business (a refusal is not a broken page).
        if response.status >= 400 and not response.request.is_navigation_request():
            visit.failed.append(f"{response.url}: HTTP {response.status}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: visit.console.append(str(error)))
    page.on("requestfailed", on_failed)
    page.on("response", on_response)
    return visit


def _axe_violations(page: Any) -> list[str]:
    result = page.evaluate(
        """async () => {
            const found = await axe.run(document, {resultTypes: ["violations"]});
            return found.violations
              .filter((v) => v.impact === "serious" || v.impact === "critical")
              .map((v) => `${v.id} (${v.impact}): ` +
                v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", "));
        }"""
    )
    return list(result)


def _stop_timers(page: Any) -> None:
    """Cancel the current page's timers: a page that reloads itself (the rating tablet waiting
    for a visitor) would otherwise interrupt the walk's next page on a slow machine."""
    # A page already going away raises: nothing of it can fire any more.
    with contextlib.suppress(PlaywrightError):
        page.evaluate(
            "() => { for (let id = setTimeout(() => {}, 0); id > 0; id--) clearTimeout(id); }"
        )


def _content_for_role(page: Any, path: str) -> str | None:
    """The page's ``<main>`` as the signed-in role gets it, or None when the role may not see
    it (a refusal, or the login page). Form tokens are left out: they differ on every load."""
    response = page.request.get(path, max_redirects=0)
    if response.status != (404 if path == "/no-such-page" else 200):
        return None
    main = re.search(r"<main>.*</main>", response.text(), flags=re.S)
    return CSRF.sub("", main.group(0) if main else response.text())


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_every_page_keeps_the_layout_rules_for_every_role(
    browser, live_server, screens, axe_source, walked, viewport
):
    page = _open_page(browser, live_server, viewport, axe_source)
    visit = _watch(page)
    folder = SCREENSHOTS / "layout"
    problems: list[str] = []
    audited: set[str] = set()
    drawn: set[tuple[str, str]] = set()
    walked[viewport] = {}
    for role in ROLES:
        page.context.clear_cookies()
        if role != "anonymous":
            log_in(page, role)
            page.wait_for_url(lambda url: not url.endswith("/login"))
        walked[viewport][role] = []
        for endpoint, path in screens:
            content = _content_for_role(page, path)
            if content is None:
                continue
            walked[viewport][role].append(path)
            # The menu is the only part every page of a role shares, and it is checked on the
            # role's home page; a page whose content another role already got is laid out the same.
            if (endpoint, content) in drawn and endpoint != "home.index":
                continue
            drawn.add((endpoint, content))
            visit.console.clear()
            visit.failed.clear()
            _stop_timers(page)
            page.goto(path, wait_until="load")
            page.evaluate("document.fonts.ready")
            where = f"{viewport} {role} {path}"
            problems += [f"{where}: {p}" for p in page.evaluate(CHECKS, viewport == "phone")]
            problems += [f"{where}: console error {c}" for c in visit.console]
            problems += [f"{where}: request failed {f}" for f in visit.failed]
            # axe-core and the screenshot are the slow part: once per screen, and once more for
            # each role's home page (where the menu differs by role).
            if endpoint not in audited or endpoint == "home.index":
                audited.add(endpoint)
                problems += [f"{where}: axe {v}" for v in _axe_violations(page)]
                shot = folder / f"{viewport}-{role}-{endpoint}.png"
                page.screenshot(path=str(shot), full_page=True)
    page.context.close()
    assert not problems, f"{len(problems)} layout problems:\n" + "\n".join(problems)


def test_a_new_route_without_demo_values_is_reported_instead_of_skipped():
    app = _url_map_app()
    app.add_url_rule("/reports/<int:report_id>", "reports.show", lambda report_id: "")
    app.add_url_rule("/reports/", "reports.index", lambda: "")
    paths, unlisted = screens_of(app, {})
    app.extensions["courier_sessions"].dispose()
    assert "/reports/<int:report_id>" in unlisted
    assert ("reports.index", "/reports/") in paths

"""The shuttle network: timetable administration, the network diagram, today's departures,
the courier's manifest checklist and each hub's missed departures."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext, ngettext
from sqlalchemy import select

from catalog.models import Campus, Location
from core import clock
from core.errors import N_, DomainError, Problem, ValidationFailed
from core.users import Role
from lockers.alerts import open_alerts_at
from routes.diagram import CampusNode, network_svg
from routes.dropboxes import rounds, rounds_before_departures
from routes.manifests import build_manifest, departures, reports_at
from routes.models import Manifest, ManifestAction, ServicePeriod, Stop, Trip
from routes.network import Timetable, local_midnight, stop_locations
from routes.periods import add_period, periods, remove_period
from routes.timetable import export_timetable, import_timetable, set_stop
from web.auth import roles_required
from web.db import db
from web.errors import problem_list
from web.formatting import localized
from web.runs import runs_on

network = Blueprint("network", __name__, url_prefix="/network")
STAFF = (Role.ADMIN, Role.COURIER, Role.HALL_STAFF, Role.CLERK)


def _trips() -> list[Trip]:
    return [t for t in db().scalars(select(Trip).order_by(Trip.code)) if t.stop_times]


def _page(problems: list[dict[str, Any]] | None = None, status: int = 200) -> Any:
    trips = _trips()
    return (
        render_template(
            "network/timetable.html",
            trips=trips,
            lines=sorted({t.line.code: t.line for t in trips}.values(), key=lambda line: line.code),
            stops=db().scalars(select(Stop).join(Location).order_by(Location.code)).all(),
            rounds=rounds(db()),
            periods=periods(db()),
            drop_boxes=sorted(stop_locations(db()).values(), key=lambda loc: loc.code),
            problems=problems or [],
        ),
        status,
    )


@network.get("/timetable")
@roles_required(Role.ADMIN)
def timetable() -> Any:
    return _page()


@network.post("/timetable")
@roles_required(Role.ADMIN)
def upload() -> Any:
    upload = request.files.get("file")
    if upload is None or not (upload.filename or "").lower().endswith(".csv"):
        error = ValidationFailed([Problem("file", N_("Choose a .csv file."))])
        return _page(problem_list(error), 422)
    try:
        count = import_timetable(db(), upload.read().decode("utf-8-sig"))
    except UnicodeDecodeError:
        error = ValidationFailed([Problem("file", N_("The file is not UTF-8 text."))])
        return _page(problem_list(error), 422)
    except DomainError as error:
        return _page(problem_list(error), 422)
    flash(ngettext("Imported %(num)d trip.", "Imported %(num)d trips.", count), "success")
    return redirect(url_for("network.timetable"))


@network.get("/timetable.csv")
@roles_required(Role.ADMIN)
def export() -> Response:
    return Response(
        export_timetable(db()),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=timetable.csv"},
    )


@network.post("/stops/<int:stop_id>")
@roles_required(Role.ADMIN)
def edit_stop(stop_id: int) -> Any:
    stop = db().get(Stop, stop_id)
    if stop is None:
        abort(404)
    try:
        set_stop(
            db(),
            stop,
            bool(request.form.get("is_hub")),
            request.form.get("transfer_minutes", type=int) or 0,
        )
    except DomainError as error:
        return _page(problem_list(error), 422)
    flash(gettext("Saved %(stop)s.", stop=stop.code), "success")
    return redirect(url_for("network.timetable"))


@network.post("/periods")
@roles_required(Role.ADMIN)
def new_period() -> Any:
    try:
        first = dt.date.fromisoformat(request.form.get("starts_on", ""))
        last = dt.date.fromisoformat(request.form.get("ends_on", ""))
    except ValueError:
        error = ValidationFailed([Problem("starts_on", N_("Write the date as YYYY-MM-DD."))])
        return _page(problem_list(error), 422)
    try:
        add_period(db(), request.form.get("name", ""), first, last)
    except DomainError as error:
        return _page(problem_list(error), 422)
    flash(gettext("Saved %(stop)s.", stop=request.form.get("name", "")), "success")
    return redirect(url_for("network.timetable"))


@network.post("/periods/<int:period_id>/delete")
@roles_required(Role.ADMIN)
def delete_period(period_id: int) -> Any:
    period = db().get(ServicePeriod, period_id)
    if period is None:
        abort(404)
    remove_period(db(), period)
    return redirect(url_for("network.timetable"))


@network.post("/rounds")
@roles_required(Role.ADMIN)
def set_rounds() -> Any:
    """Empty a drop box a number of minutes before each departure from a stop."""
    box = stop_locations(db()).get(request.form.get("location", ""))
    stop = db().get(Stop, request.form.get("stop_id", type=int) or 0)
    minutes = request.form.get("minutes_before", type=int)
    if box is None or stop is None or minutes is None or not 0 <= minutes <= 240:
        error = ValidationFailed(
            [Problem("location", N_("Choose a drop box, its stop and 0 to 240 minutes."))]
        )
        return _page(problem_list(error), 422)
    try:
        rounds_before_departures(db(), box, stop, minutes)
    except DomainError as error:
        return _page(problem_list(error), 422)
    flash(gettext("Saved %(stop)s.", stop=box.code), "success")
    return redirect(url_for("network.timetable"))


def _campus_nodes(timetable: Timetable) -> list[CampusNode]:
    nodes = []
    for campus in db().scalars(select(Campus).order_by(Campus.code)):
        hub = timetable.hub_of(campus.id)
        if hub is None:
            continue
        nodes.append(
            CampusNode(
                campus.id,
                campus.code,
                localized(campus),
                gettext(
                    "Hub %(stop)s · sorting %(minutes)s min", stop=hub.code, minutes=hub.transfer
                ),
            )
        )
    return nodes


def diagram() -> str:
    timetable = Timetable.of(db())
    return network_svg(timetable, _campus_nodes(timetable), gettext("Shuttle network"))


@network.get("/")
@roles_required(*STAFF)
def index() -> str:
    return render_template(
        "network/index.html", svg=diagram(), stops=Timetable.of(db()).stops.values()
    )


@network.get("/diagram.svg")
@roles_required(*STAFF)
def diagram_svg() -> Response:
    return Response(diagram(), mimetype="image/svg+xml")


@network.get("/departures")
@roles_required(*STAFF)
def today() -> str:
    day = request.args.get("date")
    try:
        date = dt.date.fromisoformat(day) if day else clock.local_now().date()
    except ValueError:
        abort(400)
    return render_template("network/departures.html", rows=runs_on(db(), date), date=date)


@network.post("/departures/<int:trip_id>/<day>/manifest")
@roles_required(Role.ADMIN, Role.COURIER)
def make_manifest(trip_id: int, day: str) -> Any:
    """Build a departure's manifest now rather than waiting for the scheduled job."""
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        abort(400)
    match = [
        d
        for d in departures(db(), local_midnight(date), local_midnight(date) + dt.timedelta(days=1))
        if d[0] == trip_id
    ]
    if not match:
        abort(404)
    manifest = build_manifest(db(), *match[0])
    return redirect(url_for("network.manifest", manifest_id=manifest.id))


def _manifest(manifest_id: int) -> Manifest:
    manifest = db().get(Manifest, manifest_id)
    if manifest is None:
        abort(404)
    return manifest


@network.get("/manifests/<int:manifest_id>")
@roles_required(Role.ADMIN, Role.COURIER)
def manifest(manifest_id: int) -> str:
    found = _manifest(manifest_id)
    groups = [
        (action, [item for item in found.items if item.action == action])
        for action in ManifestAction
    ]
    return render_template("network/manifest.html", manifest=found, groups=groups)


@network.get("/manifests/<int:manifest_id>.json")
@roles_required(Role.ADMIN, Role.COURIER)
def manifest_json(manifest_id: int) -> Any:
    """The checklist's state, for the page to refresh after scans made elsewhere."""
    found = _manifest(manifest_id)
    return jsonify(
        items=[
            {
                "code": i.tracking_code,
                "action": str(i.action),
                "done": i.done_at is not None,
                "missed": i.missed,
                "box_seen": i.box_seen_at is not None,
                "box_missing": i.box_missing,
            }
            for i in found.items
        ]
    )


@network.get("/hubs/<code>")
@roles_required(*STAFF)
def hub(code: str) -> str:
    stop = db().scalar(select(Stop).join(Location).where(Location.code == code))
    if stop is None:
        abort(404)
    return render_template(
        "network/hub.html",
        stop=stop,
        reports=reports_at(db(), [stop.id]),
        alerts=open_alerts_at(db(), stop.location_id),
    )

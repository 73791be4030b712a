"""The courier's phone: a scan page for keyboard-wedge scanners and camera photos."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, jsonify, render_template, request
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from catalog.models import Location, LocationKind
from core.errors import N_, DomainError, Problem, ValidationFailed
from core.users import Role
from courier.scans import Scan
from courier.states import SCAN_KINDS
from web.auth import current_user, roles_required
from web.db import db
from web.label_photos import decode_photo
from web.scanning import answer_scans, scans_from

courier = Blueprint("courier", __name__, url_prefix="/courier")


@courier.get("/scan")
@roles_required(Role.COURIER)
def scan_page() -> str:
    places = (
        db()
        .scalars(
            select(Location)
            .where(
                Location.kind.in_(
                    [LocationKind.SHUTTLE_STOP, LocationKind.LOCKER_SITE, LocationKind.HALL]
                )
            )
            .order_by(Location.code)
        )
        .all()
    )
    return render_template("courier/scan.html", places=places, kinds=list(SCAN_KINDS))


@courier.get("/session")
@roles_required(Role.COURIER)
def session_check() -> Any:
    """Who the queue would send as, with a fresh CSRF token: the page may be a cached copy
    whose token belongs to a session that has since ended (401 when nobody is logged in)."""
    user = current_user()
    assert user is not None
    answer = jsonify(login=user.login, name=user.name, csrf=generate_csrf())
    answer.headers["Cache-Control"] = "no-store"
    return answer


@courier.post("/scans")
@roles_required(Role.COURIER)
def scans() -> Any:
    """The scan page's queue posts here (session and CSRF token, not a bearer token)."""
    return answer_scans(scans_from(request.get_json(silent=True)))


@courier.post("/photo")
@roles_required(Role.COURIER)
def photo_scan() -> Any:
    """A camera photo of a label, decoded here, then handled like any scan."""
    upload = request.files.get("photo")
    if upload is None:
        raise ValidationFailed([Problem("photo", N_("Take a photo of the label."))])
    texts = decode_photo(upload.read())
    if not texts:
        raise DomainError(
            "no_code", N_("No code found in the photo: hold the label flat and closer.")
        )
    scan = Scan(
        id=request.form.get("id") or str(uuid.uuid4()),
        code=texts[0],
        kind=request.form.get("kind", ""),
        location=request.form.get("location") or None,
    )
    return answer_scans([scan])

"""``POST /api/scans``: a courier's scans, many at once, each with its own UUID."""

from __future__ import annotations

from typing import Any

from flask import abort, jsonify, request

from core.users import Role
from courier.photos import store_photo
from web.api import api
from web.auth import current_user, roles_required
from web.db import db
from web.scanning import answer_scans, scans_from


@api.post("/scans")
@roles_required(Role.COURIER)
def scans() -> Any:
    return answer_scans(scans_from(request.get_json(silent=True)))


@api.post("/photos")
@roles_required(Role.COURIER, Role.CLERK, Role.HALL_STAFF)
def upload_photo() -> Any:
    upload = request.files.get("photo")
    if upload is None:
        abort(400)
    photo = store_photo(db(), upload.read(), current_user())
    return jsonify(id=photo.id, size=photo.size, content_type=photo.content_type), 201

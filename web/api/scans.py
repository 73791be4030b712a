"""``POST /api/scans``: a courier's scans, many at once, each with its own UUID."""

from __future__ import annotations

from typing import Any

from flask import abort, request

from core.users import Role
from courier.photos import store_photo
from courier.scans import Scan
from web.api import api
from web.api.schemas.consignments import StoredPhoto
from web.api.schemas.scans import ScanBatch, ScanResults
from web.api.typed import answer, body_of, operation, shaped
from web.auth import current_user, roles_required
from web.db import db
from web.params import parse_time
from web.scanning import results_json


@api.post("/scans")
@roles_required(Role.COURIER)
@operation(
    "A batch of scans (couriers); a repeated id returns its first result",
    body=ScanBatch,
    answer=ScanResults,
)
def scans() -> Any:
    batch = body_of(ScanBatch)
    scans = [
        Scan(
            id=scan.id,
            code=scan.code,
            kind=scan.kind,
            location=scan.location or None,
            at=parse_time(scan.at, "at"),
        )
        for scan in batch.scans
    ]
    return answer(shaped(ScanResults, results_json(scans)))


@api.post("/photos")
@roles_required(Role.COURIER, Role.CLERK, Role.HALL_STAFF)
@operation(
    "Upload a photo (JPEG, PNG or WebP, at most 8 MB) for a damage report",
    body={
        "multipart/form-data": {
            "type": "object",
            "required": ["photo"],
            "properties": {"photo": {"type": "string", "format": "binary"}},
        }
    },
    answer=StoredPhoto,
    status=201,
    errors=(413,),
)
def upload_photo() -> Any:
    upload = request.files.get("photo")
    if upload is None:
        abort(400)
    photo = store_photo(db(), upload.read(), current_user())
    return answer(StoredPhoto(id=photo.id, size=photo.size, content_type=photo.content_type), 201)

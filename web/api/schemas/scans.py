"""A courier's batch of scans."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from courier.models import ScanRecord
from courier.scans import MAX_BATCH
from web.api.schemas.common import column_text, text


class ScanIn(msgspec.Struct):
    """One scan: its own UUID, the tracking code or label QR text, the kind, where and when."""

    id: column_text(ScanRecord.scan_id, min_length=8)  # type: ignore[valid-type]
    code: column_text(ScanRecord.code_text)  # type: ignore[valid-type]
    kind: column_text(ScanRecord.kind)  # type: ignore[valid-type]
    location: column_text(ScanRecord.location_code) | None = None  # type: ignore[valid-type]
    at: text(40) | None = None  # type: ignore[valid-type]


class ScanBatch(msgspec.Struct):
    scans: Annotated[list[ScanIn], Meta(max_length=MAX_BATCH)]


class ScanResult(msgspec.Struct):
    id: str
    ok: bool
    state: str | None
    state_label: str | None
    code: str | None
    reason: str | None
    tracking_code: str | None


class ScanResults(msgspec.Struct):
    results: list[ScanResult]

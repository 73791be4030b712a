"""Scans from couriers' phones and handheld scanners, in batches.

Each scan carries the scanner's own UUID; a scan sent again (an offline queue syncing twice, a
retry after a timeout) returns its first result. A batch costs a handful of queries whatever its
size: the scans already seen, the consignments and the locations are each fetched at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from catalog.models import Location
from core import clock, codes
from core.errors import N_
from core.users import User
from courier.custody import EventInput, Outcome, insert_events, record_event
from courier.models import Consignment, ScanRecord, Source
from courier.states import SCAN_KINDS, State

MAX_BATCH = 500
LOGGED = (
    "scan_id", "user_id", "code_text", "kind", "location_code", "scanned_at", "consignment_id",
    "ok", "state", "reason_code", "reason", "reason_params", "created_at",
)  # fmt: skip


@dataclass(frozen=True)
class Scan:
    """One scan as the scanner sent it."""

    id: str
    code: str
    kind: str
    location: str | None = None
    at: dt.datetime | None = None


@dataclass(frozen=True)
class ScanResult:
    id: str
    ok: bool
    state: State | None
    reason_code: str | None = None
    reason: str | None = None
    params: dict[str, Any] | None = None
    tracking_code: str | None = None


def _result(record: Mapping[str, Any], tracking_code: str | None = None) -> ScanResult:
    return ScanResult(
        id=record["scan_id"],
        ok=record["ok"],
        state=record["state"],
        reason_code=record["reason_code"],
        reason=record["reason"],
        params=record["reason_params"],
        tracking_code=tracking_code,
    )


def _jsonable(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, dt.datetime) else str(v) for k, v in params.items()}


def process_scans(
    session: Session, courier: User, scans: list[Scan], label_key: str
) -> list[ScanResult]:
    """Apply a batch of scans in order; every scan gets a result, none raises."""
    ids = [scan.id for scan in scans]
    table = ScanRecord.__table__
    seen: dict[str, Mapping[str, Any]] = {
        row["scan_id"]: row
        for row in session.connection()
        .execute(select(*(table.c[column] for column in LOGGED)).where(table.c.scan_id.in_(ids)))
        .mappings()
    }
    # Codes of consignments earlier scans touched, so a replayed scan answers like the first.
    touched = {record["consignment_id"] for record in seen.values() if record["consignment_id"]}
    earlier_codes: dict[int, str] = (
        {
            row.id: row.tracking_code
            for row in session.execute(
                select(Consignment.id, Consignment.tracking_code).where(Consignment.id.in_(touched))
            )
        }
        if touched
        else {}
    )
    verified: dict[str, str | None] = {}
    for scan in scans:
        try:
            verified[scan.id] = codes.verify(scan.code, label_key)
        except codes.ForgedCode:
            verified[scan.id] = None
    wanted = {code for code in verified.values() if code}
    consignments = {
        c.tracking_code: c
        for c in session.scalars(
            select(Consignment).where(Consignment.tracking_code.in_(wanted)).with_for_update()
        )
    }
    location_codes = {scan.location for scan in scans if scan.location}
    default_location = None
    if len(location_codes) < len(scans):
        default_location = session.scalar(
            select(ScanRecord.location_code)
            .where(ScanRecord.user_id == courier.id, ScanRecord.location_code.is_not(None))
            .order_by(ScanRecord.id.desc())
            .limit(1)
        )
        if default_location:
            location_codes.add(default_location)
    locations = {
        loc.code: loc
        for loc in session.scalars(select(Location).where(Location.code.in_(location_codes)))
    }
    now = clock.now()
    results = []
    new_records: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for scan in scans:
        if scan.id in seen:
            earlier = seen[scan.id]
            results.append(_result(earlier, earlier_codes.get(earlier["consignment_id"] or 0)))
            continue
        record, tracking_code = _apply(
            session,
            courier,
            scan,
            verified[scan.id],
            consignments,
            locations,
            default_location,
            now,
            events,
        )
        new_records.append(record)
        seen[scan.id] = record
        if tracking_code:
            earlier_codes[consignments[tracking_code].id] = tracking_code
        results.append(_result(record, tracking_code))
    insert_events(session, events)
    if new_records:
        # One statement for the batch: the ORM would insert them one by one on SQLite (it wants
        # each new id back), and nothing holds on to these log rows.
        session.connection().execute(insert(table), new_records)
    return results


def _apply(
    session: Session,
    courier: User,
    scan: Scan,
    code: str | None,
    consignments: dict[str, Consignment],
    locations: dict[str, Location],
    default_location: str | None,
    now: dt.datetime,
    events: list[dict[str, Any]],
) -> tuple[dict[str, Any], str | None]:
    """The scan's log row (the columns of :data:`LOGGED`) after applying it, and the tracking
    code of the consignment it found."""
    location_code = scan.location or default_location
    record: dict[str, Any] = {
        "scan_id": scan.id,
        "user_id": courier.id,
        "code_text": scan.code[:300],
        "kind": scan.kind[:16],
        "location_code": location_code,
        "scanned_at": scan.at or now,
        "consignment_id": None,
        "ok": False,
        "state": None,
        "reason_code": None,
        "reason": None,
        "reason_params": {},
        "created_at": now,
    }
    consignment = consignments.get(code) if code else None
    outcome: Outcome | None = None
    if scan.kind not in SCAN_KINDS:
        record["reason_code"] = "unknown_kind"
        record["reason"] = N_("Unknown scan kind %(kind)s.")
        record["reason_params"] = {"kind": scan.kind}
    elif code is None:
        record["reason_code"] = "forged"
        record["reason"] = N_("Not one of our labels: the code is mistyped or forged.")
    elif consignment is None:
        record["reason_code"] = "not_found"
        record["reason"] = N_("No consignment has the code %(code)s.")
        record["reason_params"] = {"code": code}
    elif scan.location and scan.location not in locations:
        record["reason_code"] = "unknown_location"
        record["reason"] = N_("Unknown place %(location)s.")
        record["reason_params"] = {"location": scan.location}
    else:
        outcome = record_event(
            session,
            consignment,
            EventInput(
                kind=SCAN_KINDS[scan.kind],
                idempotency_key=f"scan:{scan.id}",
                source=Source.SCAN,
                actor=courier,
                device_at=scan.at,
                location=locations.get(location_code) if location_code else None,
                device=f"scanner:{courier.login}",
            ),
            check_duplicate=False,
            batch=events,
        )
        record["consignment_id"] = consignment.id
        record["ok"] = outcome.ok
        record["reason_code"] = outcome.reason_code
        record["reason"] = outcome.reason
        record["reason_params"] = _jsonable(outcome.params)
    record["state"] = outcome.state if outcome else (consignment.state if consignment else None)
    return record, consignment.tracking_code if consignment else None

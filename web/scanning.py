"""A courier's scans as requests send them and answers show them, for the scan page and the API."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from core.errors import N_, Problem, ValidationFailed
from courier.scans import MAX_BATCH, Scan, ScanResult
from courier.states import State
from services.scans import answer_scans as answer
from web.auth import current_user
from web.db import db
from web.formatting import label, translate
from web.params import label_key, parse_time


def scans_from(body: Any) -> list[Scan]:
    """The scans of a request body ``{scans: [{id, code, kind, location, at}]}``, shape-checked."""
    if not isinstance(body, dict) or not isinstance(body.get("scans"), list):
        raise ValidationFailed([Problem("scans", N_("Send {scans: [...]}."))])
    raw = body["scans"]
    if len(raw) > MAX_BATCH:
        raise ValidationFailed(
            [Problem("scans", N_("At most %(max)s scans at once."), max=MAX_BATCH)]
        )
    scans = []
    for index, entry in enumerate(raw, start=1):
        if not isinstance(entry, dict):
            raise ValidationFailed([Problem("scans", N_("Scan %(n)s is not an object."), n=index)])
        scan_id, code, kind = entry.get("id"), entry.get("code"), entry.get("kind")
        if not (isinstance(scan_id, str) and 8 <= len(scan_id) <= 64):
            raise ValidationFailed([Problem("id", N_("Scan %(n)s needs its own id."), n=index)])
        if not isinstance(code, str) or not isinstance(kind, str):
            raise ValidationFailed(
                [Problem("code", N_("Scan %(n)s needs a code and a kind."), n=index)]
            )
        location = entry.get("location")
        scans.append(
            Scan(
                id=scan_id,
                code=code[:300],
                kind=kind[:16],
                location=str(location)[:24] if location else None,
                at=parse_time(entry.get("at"), "at"),
            )
        )
    return scans


def result_json(result: ScanResult) -> dict[str, Any]:
    return {
        "id": result.id,
        "ok": result.ok,
        "state": result.state,
        "state_label": label(result.state, State) if result.state else None,
        "code": result.reason_code,
        "reason": translate(result.reason, result.params) if result.reason else None,
        "tracking_code": result.tracking_code,
    }


def results_json(scans: list[Scan]) -> dict[str, Any]:
    """Process the current courier's scans: ``{results: [...]}``, one per scan in order."""
    results = answer(db(), current_user(), scans, label_key())
    return {"results": [result_json(result) for result in results]}


def answer_scans(scans: list[Scan]) -> Response:
    """Process the current courier's scans and answer ``{results: [...]}``."""
    return jsonify(results_json(scans))

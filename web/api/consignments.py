"""Consignments, their events and labels, through the API."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, abort, jsonify, request, url_for
from sqlalchemy import select

from catalog.models import Location
from core.errors import N_, Problem, ValidationFailed
from core.users import Role
from courier.consignments import (
    NewConsignment,
    consignments_of,
)
from courier.custody import Outcome, must
from courier.models import Consignment, CustodyEvent, Photo, Priority
from courier.states import Kind
from courier.timeline import timeline
from routes.models import RoutePlan
from routes.plans import history, plan_of
from services import consignments
from web.api import api
from web.auth import current_user, login_required, roles_required
from web.db import db
from web.formatting import translate
from web.labelling import label_response
from web.params import label_key, parse_time

SUBMITTERS = (Role.TEACHER, Role.STUDENT)


def event_json(event: CustodyEvent, full: bool) -> dict[str, Any]:
    record: dict[str, Any] = {
        "kind": str(event.kind),
        "state": str(event.state_after),
        "at": event.device_at.isoformat(),
        "recorded_at": event.server_at.isoformat(),
        "source": str(event.source),
        "campus": event.campus.code if event.campus else None,
        "location": (
            {"code": event.location.code, "name": event.location.name} if event.location else None
        ),
        "late": event.late,
    }
    if full:
        record.update(
            actor=event.actor.name if event.actor else None,
            device=event.device,
            notes=event.notes,
            photo_url=url_for("api.photo", photo_id=event.photo_id) if event.photo_id else None,
        )
    return record


def route_json(plan: RoutePlan | None) -> dict[str, Any]:
    """The planned rides and what the ETA is of; empty without a timetable."""
    if plan is None:
        return {"eta_of": None, "legs": [], "note": None}
    return {
        "eta_of": plan.eta_kind,
        "note": translate(plan.note, plan.note_params) if plan.note else None,
        "legs": [
            {
                "leg": leg.leg,
                "trip": leg.trip.code,
                "line": leg.trip.line.code,
                "from": leg.board_stop.code,
                "to": leg.alight_stop.code,
                "departs_at": leg.departs_at.isoformat(),
                "arrives_at": leg.arrives_at.isoformat(),
                "status": str(leg.status),
            }
            for leg in plan.legs
        ],
    }


def consignment_json(consignment: Consignment, full: bool = True) -> dict[str, Any]:
    view = timeline(db(), consignment)
    plan = plan_of(db(), consignment.id)
    record: dict[str, Any] = {
        "tracking_code": consignment.tracking_code,
        "state": str(consignment.state),
        "state_since": consignment.state_since.isoformat(),
        "service_item": {
            "code": consignment.service_item.code,
            "name": consignment.service_item.name,
        },
        "department": consignment.department.code,
        "due_at": consignment.due_at.isoformat(),
        "due_provisional": consignment.due_provisional,
        "eta": plan.eta.isoformat() if plan and plan.eta else None,
        "damaged": consignment.damaged,
        "events": [event_json(event, full) for event in view.events],
        "route": {
            "origin_campus": consignment.origin_campus.code,
            "department_campus": consignment.department.campus.code,
            "pickup_campus": consignment.pickup_campus.code,
            "ahead": [str(kind) for kind in view.ahead],
            **route_json(plan),
            "eta_changes": [
                {
                    "at": change.at.isoformat(),
                    "old_eta": change.old_eta.isoformat() if change.old_eta else None,
                    "new_eta": change.new_eta.isoformat() if change.new_eta else None,
                    "reason": translate(change.reason, change.params),
                }
                for change in history(db(), consignment.id)
            ],
        },
    }
    if full:
        record.update(
            recipient={"name": consignment.recipient_name, "phone": consignment.recipient_phone},
            submitter=consignment.submitter.name,
            contents={
                "pages": consignment.pages,
                "documents": consignment.documents,
                "contains_originals": consignment.contains_originals,
            },
            priority=str(consignment.priority),
            label_url=url_for("api.label", code=consignment.tracking_code, format="thermal"),
        )
    return record


def _visible(code: str) -> Consignment:
    return consignments.visible(db(), current_user(), code, label_key())


def _int(value: Any, field: str, default: int) -> int:
    if value in (None, ""):
        return default
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise ValidationFailed([Problem(field, N_("Write a whole number."))])
    return int(value)


def new_consignment_from(body: dict[str, Any]) -> NewConsignment:
    """The request of ``POST /api/consignments``, checked for shape (the domain checks sense)."""
    recipient = body.get("recipient") or {"self": True}
    contents = body.get("contents") or {}
    if not isinstance(recipient, dict) or not isinstance(contents, dict):
        raise ValidationFailed([Problem("recipient", N_("Recipient and contents are objects."))])
    to_self = bool(recipient.get("self"))
    priority = body.get("priority") or Priority.NORMAL
    if priority not in Priority.__members__.values():
        raise ValidationFailed([Problem("priority", N_("Priority is normal or urgent."))])
    return NewConsignment(
        service_item=str(body.get("service_item") or ""),
        origin_campus=body.get("origin_campus") or None,
        pickup_campus=body.get("pickup_campus") or None,
        recipient_name="" if to_self else str(recipient.get("name") or ""),
        recipient_phone="" if to_self else str(recipient.get("phone") or ""),
        pages=_int(contents.get("pages"), "pages", 1),
        documents=_int(contents.get("documents"), "documents", 1),
        contains_originals=bool(contents.get("contains_originals")),
        materials_checked=[str(m) for m in contents.get("materials") or []],
        priority=Priority(priority),
    )


@api.post("/consignments")
@roles_required(*SUBMITTERS)
def create() -> Any:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400)
    submitted = consignments.submit(
        db(),
        current_user(),
        new_consignment_from(body),
        label_key(),
        accept_later=bool(body.get("accept_later")),
    )
    consignment, plan = submitted.consignment, submitted.plan
    return (
        jsonify(
            tracking_code=consignment.tracking_code,
            state=str(consignment.state),
            due_at=consignment.due_at.isoformat(),
            due_provisional=consignment.due_provisional,
            eta=plan.eta.isoformat() if plan and plan.eta else None,
            label_url=url_for("api.label", code=consignment.tracking_code, format="thermal"),
        ),
        201,
    )


@api.get("/consignments")
@login_required
def list_mine() -> Any:
    items = consignments_of(db(), current_user())
    return jsonify(
        consignments=[
            {
                "tracking_code": c.tracking_code,
                "state": str(c.state),
                "service_item": c.service_item.code,
                "due_at": c.due_at.isoformat(),
                "created_at": c.created_at.isoformat(),
            }
            for c in items
        ]
    )


@api.get("/consignments/<code>")
@login_required
def show(code: str) -> Any:
    return jsonify(consignment_json(_visible(code)))


def outcome_json(outcome: Outcome) -> dict[str, Any]:
    return {
        "ok": outcome.ok,
        "state": str(outcome.state),
        "duplicate": outcome.duplicate,
        "late": outcome.late,
        "code": outcome.reason_code,
        "reason": translate(outcome.reason, outcome.params) if outcome.reason else None,
    }


@api.get("/consignments/<code>/events")
@login_required
def events(code: str) -> Any:
    consignment = _visible(code)
    return jsonify(events=[event_json(event, True) for event in timeline(db(), consignment).events])


@api.post("/consignments/<code>/events")
@login_required
def add_event(code: str) -> Any:
    consignment = _visible(code)
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or body.get("kind") not in Kind.__members__.values():
        raise ValidationFailed([Problem("kind", N_("Name the kind of event."))])
    photo = db().get(Photo, body["photo_id"]) if body.get("photo_id") else None
    if body.get("photo_id") and photo is None:
        raise ValidationFailed([Problem("photo_id", N_("Unknown photo."))])
    location = None
    if body.get("location"):
        location = db().scalar(select(Location).where(Location.code == body["location"]))
        if location is None:
            raise ValidationFailed(
                [Problem("location", N_("Unknown place %(location)s."), location=body["location"])]
            )
    outcome = consignments.record(
        db(),
        current_user(),
        consignment,
        Kind(body["kind"]),
        f"web:{body.get('id') or uuid.uuid4()}",
        device_at=parse_time(body.get("at"), "at"),
        location=location,
        notes=str(body.get("notes") or "")[:2000],
        photo=photo,
    )
    # The request was understood; a refusal comes from the consignment's state (409).
    must(outcome)
    return jsonify(outcome_json(outcome)), 200 if outcome.duplicate else 201


@api.get("/consignments/<code>/label")
@login_required
def label(code: str) -> Any:
    return label_response(_visible(code), request.args.get("format", "thermal"))


@api.get("/photos/<int:photo_id>")
@roles_required(Role.COURIER, Role.CLERK, Role.HALL_STAFF)
def photo(photo_id: int) -> Any:
    stored = db().get(Photo, photo_id)
    if stored is None:
        abort(404)
    return Response(stored.data, mimetype=stored.content_type)

"""Consignments, their events and labels, through the API."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, abort, url_for
from sqlalchemy import select

from catalog.models import Location
from core.errors import N_, Problem, ValidationFailed
from core.users import Role, User
from courier.consignments import NewConsignment, consignments_of
from courier.custody import Outcome, must
from courier.models import Consignment, CustodyEvent, Photo
from courier.timeline import timeline
from routes.models import RoutePlan
from routes.plans import history, plan_of
from services import consignments
from web.api import api
from web.api.schemas import consignments as schema
from web.api.typed import Link, answer, body_of, operation, query_of, shaped
from web.auth import current_user, login_required, roles_required
from web.db import db
from web.formatting import translate
from web.labelling import label_response
from web.params import base_url, header_key, label_key, parse_time, phone_regions

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
        "department": event.department.code if event.department else None,
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
    """The consignment as plain data; ``full`` adds what only its parties and staff see."""
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
        "joint_steps": [
            {"number": step.number, "department": step.department.code, "status": str(step.status)}
            for step in view.joint
        ],
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


def new_consignment_from(body: schema.NewConsignment) -> NewConsignment:
    """The domain's request from the decoded body (the domain checks that it makes sense)."""
    recipient = body.recipient
    to_self = recipient is None or recipient.self_
    if recipient is not None and not to_self and not recipient.name.strip():
        # An empty recipient would silently mean the submitter; the caller must say which.
        raise ValidationFailed(
            [Problem("recipient.name", N_("Name the recipient, or send self: true."))]
        )
    return NewConsignment(
        service_item=body.service_item,
        origin_campus=body.origin_campus or None,
        pickup_campus=body.pickup_campus or None,
        recipient_name="" if to_self or recipient is None else recipient.name,
        recipient_phone="" if to_self or recipient is None else recipient.phone,
        pages=body.contents.pages,
        documents=body.contents.documents,
        contains_originals=body.contents.contains_originals,
        materials_checked=list(body.contents.materials),
        priority=body.priority,
    )


#: The consignment's life, followed from its creation (schemathesis walks these links).
_CREATED_LINKS = tuple(
    Link(name, target, {"code": "$response.body#/tracking_code"})
    for name, target in (
        ("read", "api.show"),
        ("label", "api.label"),
        ("events", "api.events"),
        ("record_event", "api.add_event"),
    )
)


@api.post("/consignments")
@roles_required(*SUBMITTERS)
@operation(
    "Submit a consignment (teachers and students)",
    body=schema.NewConsignment,
    answer=schema.Submitted,
    status=201,
    errors=(404, 409),
    idempotent=True,
    links=_CREATED_LINKS,
)
def create() -> Any:
    body = body_of(schema.NewConsignment)
    submitted = consignments.submit(
        db(),
        current_user(),
        new_consignment_from(body),
        label_key(),
        accept_later=body.accept_later,
        phone_regions=phone_regions(),
        key=header_key(),
    )
    consignment, plan = submitted.consignment, submitted.plan
    return answer(
        schema.Submitted(
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
@operation(
    "My consignments, sent or to receive, newest first",
    answer=schema.Mine,
)
def list_mine() -> Any:
    return answer(
        schema.Mine(
            consignments=[
                schema.Summary(
                    tracking_code=c.tracking_code,
                    state=str(c.state),
                    service_item=c.service_item.code,
                    due_at=c.due_at.isoformat(),
                    created_at=c.created_at.isoformat(),
                )
                for c in consignments_of(db(), current_user())
            ]
        )
    )


@api.get("/consignments/<code:code>")
@login_required
@operation(
    "One consignment with its events in order and its route",
    answer=schema.Detail,
    errors=(404,),
)
def show(code: str) -> Any:
    return answer(shaped(schema.Detail, consignment_json(_visible(code))))


def outcome_json(outcome: Outcome) -> schema.Outcome:
    return schema.Outcome(
        ok=outcome.ok,
        state=str(outcome.state),
        duplicate=outcome.duplicate,
        late=outcome.late,
        code=outcome.reason_code,
        reason=translate(outcome.reason, outcome.params) if outcome.reason else None,
    )


@api.get("/consignments/<code:code>/events")
@login_required
@operation(
    "The consignment's custody events, in device-time order",
    answer=schema.Events,
    errors=(404,),
)
def events(code: str) -> Any:
    consignment = _visible(code)
    return answer(
        shaped(
            schema.Events,
            {"events": [event_json(event, True) for event in timeline(db(), consignment).events]},
        )
    )


@api.post("/consignments/<code:code>/events")
@login_required
@operation(
    "Record an event (agent accepted, result ready, damaged, ...)",
    description="Roles per kind; `id` makes a retry idempotent (a repeat answers 200 with the "
    "first outcome). Damaged needs a `photo_id` from POST /api/photos.",
    body=schema.NewEvent,
    answer=schema.Outcome,
    status=201,
    also={200: schema.Outcome},
    errors=(403, 404, 409),
)
def add_event(code: str) -> Any:
    consignment = _visible(code)
    body = body_of(schema.NewEvent)
    photo = db().get(Photo, body.photo_id) if body.photo_id is not None else None
    if body.photo_id is not None and photo is None:
        raise ValidationFailed([Problem("photo_id", N_("Unknown photo."))])
    location = None
    if body.location:
        location = db().scalar(select(Location).where(Location.code == body.location))
        if location is None:
            raise ValidationFailed(
                [Problem("location", N_("Unknown place %(location)s."), location=body.location)]
            )
    to = None
    if body.to:
        to = db().scalar(select(User).where(User.login == body.to))
        if to is None:
            raise ValidationFailed([Problem("to", N_("Unknown user %(login)s."), login=body.to)])
    desk = consignments.DeskDetails(
        missing=tuple(body.missing),
        other=body.other,
        reason=body.reason,
        to=to,
        label_key=label_key(),
        base_url=base_url(),
    )
    outcome = consignments.record(
        db(),
        current_user(),
        consignment,
        body.kind,
        f"web:{body.id or uuid.uuid4()}",
        desk,
        device_at=parse_time(body.at, "at"),
        location=location,
        notes=body.notes,
        photo=photo,
    )
    # The request was understood; a refusal comes from the consignment's state (409).
    must(outcome)
    return answer(outcome_json(outcome), 200 if outcome.duplicate else 201)


@api.get("/consignments/<code:code>/label")
@login_required
@operation(
    "The label: PNG (thermal 60x40 mm, a6 100x150 mm) or an A4 PDF sheet",
    query=schema.LabelQuery,
    media=("image/png", "application/pdf"),
    errors=(404,),
)
def label(code: str) -> Any:
    return label_response(_visible(code), query_of(schema.LabelQuery).format)


@api.get("/photos/<id:photo_id>")
@roles_required(Role.COURIER, Role.CLERK, Role.HALL_STAFF)
@operation(
    "A stored photo (staff)",
    media=("image/jpeg", "image/png", "image/webp"),
    errors=(404,),
)
def photo(photo_id: int) -> Any:
    stored = db().get(Photo, photo_id)
    if stored is None:
        abort(404)
    return Response(stored.data, mimetype=stored.content_type)

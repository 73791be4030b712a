"""The hall's queue: take a ticket, see where it stands, and a window's actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import N_, DomainError, Problem, ValidationFailed
from core.users import Role
from tickets import queue
from tickets.models import Call, Ticket, Window, as_dict
from web.api import api
from web.auth import current_user, public, roles_required
from web.db import db
from web.hall import call_json, near_ahead
from web.params import phone_regions
from web.throttling import limit_anonymous_tickets

#: How many calls ``GET /api/hall/calls`` returns at most.
MAX_CALLS = 50


def ticket_json(session: Session, ticket: Ticket) -> dict[str, Any]:
    where = queue.position(session, ticket)
    return {**as_dict(ticket), "people_ahead": where.ahead, "wait_minutes": where.wait_minutes}


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed([Problem("body", N_("Send a JSON object."))])
    return body


@api.post("/tickets")
@public
def take_ticket() -> Any:
    body = _body()
    category = queue.category_by_prefix(db(), str(body.get("category") or ""))
    phone = body.get("phone")
    limit_anonymous_tickets()
    ticket = queue.take_ticket(
        db(),
        category,
        phone=str(phone) if phone else None,
        user=current_user(),
        phone_regions=phone_regions(),
    )
    return jsonify(ticket_json(db(), ticket)), 201


@api.get("/tickets/<int:ticket_id>")
@public
def show_ticket(ticket_id: int) -> Any:
    return jsonify(ticket_json(db(), queue.ticket_by_id(db(), ticket_id)))


@api.get("/hall/calls")
@public
def hall_calls() -> Any:
    after = request.args.get("after", 0, type=int)
    rows = db().scalars(select(Call).where(Call.id > after).order_by(Call.id).limit(MAX_CALLS))
    return jsonify(calls=[call_json(c) for c in rows])


def _window_action(window: Window, action: str) -> Ticket | None:
    session = db()
    if action == "sign-in":
        user = current_user()
        assert user is not None  # roles_required let only signed-in staff through
        queue.sign_in(session, window, user)
        return None
    if action == "sign-out":
        queue.sign_out(session, window)
        return None
    if action == "transfer":
        return queue.transfer(
            session, window, queue.category_by_prefix(session, str(_body().get("category", "")))
        )
    if action == "resume":
        return queue.resume(session, window, queue.ticket_by_id(session, int(_body()["ticket"])))
    simple: dict[str, Callable[[Session, Window], Ticket]] = {
        "call-next": lambda s, w: queue.call_next(s, w, near_ahead()),
        "recall": queue.recall,
        "start": queue.start,
        "finish": queue.finish,
        "hold": queue.hold,
    }
    return simple[action](session, window)


#: A window's actions, each ``POST /api/windows/<window>/<action>``.
WINDOW_ACTIONS = {
    "sign-in": "Sign the caller in at the window",
    "sign-out": "Sign the window's staff out",
    "call-next": "Call the next ticket (checked-in appointments first, then first come)",
    "recall": "Call the window's ticket again; after 3 calls it is a no-show",
    "start": "The called visitor has arrived: service starts",
    "finish": "Service is over (refused for a ticket never started)",
    "hold": "Put the window's ticket aside",
    "resume": "Take a held ticket back up: {ticket}",
    "transfer": "Send the window's ticket to another queue, keeping its place: {category}",
}


def _make_view(action: str) -> Callable[[int], Any]:
    def view(window: int) -> Any:
        row = queue.window_by_number(db(), window)
        try:
            ticket = _window_action(row, action)
        except (KeyError, TypeError, ValueError) as error:
            raise DomainError("bad_request", N_("The request could not be understood.")) from error
        if ticket is None:
            return jsonify(window=row.number, staff=row.staff.login if row.staff else None)
        return jsonify(ticket_json(db(), ticket))

    view.__name__ = f"window_{action.replace('-', '_')}"
    return roles_required(Role.HALL_STAFF)(view)


for _action in WINDOW_ACTIONS:
    api.add_url_rule(
        f"/windows/<int:window>/{_action}", view_func=_make_view(_action), methods=["POST"]
    )


_OK = {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}
_ERROR = {"$ref": "#/components/responses/Error"}
_WINDOW = {
    "name": "window",
    "in": "path",
    "required": True,
    "description": "The window's number, as shown in the hall",
    "schema": {"type": "integer"},
}
_TICKET = {
    "type": "object",
    "description": "A ticket with `number` (A023), `status`, `outcome`, `window`, `calls`, the "
    "times of issue, first call, start and finish, `rating`, `people_ahead`, `wait_minutes`",
}

#: The hall's entries of ``/api/openapi.json``.
OPENAPI_PATHS: dict[str, Any] = {
    "/api/tickets": {
        "post": {
            "summary": "Take a number in a queue (kiosks: no login needed)",
            "security": [],
            "requestBody": {
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["category"],
                            "properties": {
                                "category": {"type": "string", "description": "prefix, e.g. A"},
                                "phone": {"type": ["string", "null"]},
                            },
                        }
                    }
                }
            },
            "responses": {
                "201": {
                    "description": "Created",
                    "content": {"application/json": {"schema": _TICKET}},
                },
                "404": _ERROR,
            },
        }
    },
    "/api/tickets/{ticket_id}": {
        "get": {
            "summary": "A ticket, the people ahead of it and the estimated wait",
            "security": [],
            "parameters": [
                {"name": "ticket_id", "in": "path", "required": True, "schema": {"type": "integer"}}
            ],
            "responses": {"200": _OK, "404": _ERROR},
        }
    },
    "/api/hall/calls": {
        "get": {
            "summary": "Calls to windows in order (`id`, `number`, `window`, `called_at`)",
            "security": [],
            "parameters": [
                {"name": "after", "in": "query", "required": False, "schema": {"type": "integer"}}
            ],
            "responses": {"200": _OK},
        }
    },
} | {
    f"/api/windows/{{window}}/{action}": {
        "post": {
            "summary": f"{summary} (hall staff)",
            "parameters": [_WINDOW],
            "responses": {
                "200": _OK,
                "400": _ERROR,
                "403": _ERROR,
                "404": _ERROR,
                "409": _ERROR,
            },
        }
    }
    for action, summary in WINDOW_ACTIONS.items()
}

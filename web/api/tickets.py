"""The hall's queue: take a ticket, see where it stands, and a window's actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.users import Role
from services import hall as hall_requests
from tickets import queue
from tickets.models import Call, Ticket, Window, as_dict
from web.api import api
from web.api.schemas import tickets as schema
from web.api.typed import answer, body_of, operation, query_of, shaped
from web.auth import current_user, public, roles_required
from web.db import db
from web.hall import call_json, near_ahead, recall_delay
from web.params import header_key, phone_regions
from web.throttling import limit_anonymous_tickets

#: How many calls ``GET /api/hall/calls`` returns at most.
MAX_CALLS = 50


def ticket_json(session: Session, ticket: Ticket) -> schema.Ticket:
    where = queue.position(session, ticket)
    return shaped(
        schema.Ticket,
        {**as_dict(ticket), "people_ahead": where.ahead, "wait_minutes": where.wait_minutes},
    )


@api.post("/tickets")
@public
@operation(
    "Take a number in a queue (kiosks: no login needed)",
    body=schema.TakeTicket,
    answer=schema.Ticket,
    status=201,
    errors=(404, 409),
    idempotent=True,
)
def take_ticket() -> Any:
    body = body_of(schema.TakeTicket)
    category = queue.category_by_prefix(db(), body.category, queue.hall_by_code(db(), body.hall))
    limit_anonymous_tickets()
    ticket = hall_requests.take_ticket(
        db(),
        category,
        key=header_key(),
        phone=body.phone or None,
        card=body.card or None,
        user=current_user(),
        phone_regions=phone_regions(),
    )
    return answer(ticket_json(db(), ticket), 201)


@api.get("/tickets/<id:ticket_id>")
@public
@operation(
    "A ticket, the people ahead of it and the estimated wait",
    answer=schema.Ticket,
    errors=(404,),
)
def show_ticket(ticket_id: int) -> Any:
    return answer(ticket_json(db(), queue.ticket_by_id(db(), ticket_id)))


@api.get("/hall/calls")
@public
@operation(
    "Calls to windows in order, after the call `after` (of one hall when `hall` is given)",
    query=schema.CallsQuery,
    answer=schema.Calls,
    errors=(404,),
)
def hall_calls() -> Any:
    asked = query_of(schema.CallsQuery)
    query = select(Call).where(Call.id > asked.after)
    if asked.hall:
        query = query.where(Call.hall_id == queue.hall_by_code(db(), asked.hall).id)
    rows = db().scalars(query.order_by(Call.id).limit(MAX_CALLS))
    return answer(shaped(schema.Calls, {"calls": [call_json(c) for c in rows]}))


def _staffed(window: Window) -> schema.WindowStaff:
    return schema.WindowStaff(
        window=window.number, staff=window.staff.login if window.staff else None
    )


def _sign_in(session: Session, window: Window) -> schema.WindowStaff:
    user = current_user()
    assert user is not None  # roles_required let only signed-in staff through
    queue.sign_in(session, window, user)
    return _staffed(window)


def _sign_out(session: Session, window: Window) -> schema.WindowStaff:
    queue.sign_out(session, window)
    return _staffed(window)


def _transfer(session: Session, window: Window) -> schema.Ticket:
    category = queue.category_by_prefix(session, body_of(schema.Transfer).category, window.hall)
    return ticket_json(session, queue.transfer(session, window, category))


def _resume(session: Session, window: Window) -> schema.Ticket:
    ticket = queue.ticket_by_id(session, body_of(schema.Resume).ticket)
    return ticket_json(session, queue.resume(session, window, ticket))


def _on_ticket(step: Callable[[Session, Window], Ticket]) -> Callable[[Session, Window], Any]:
    return lambda session, window: ticket_json(session, step(session, window))


#: A window's actions, each ``POST /api/windows/<window>/<action>``: what it does, its request
#: body, its answer, and how it is carried out.
WINDOW_ACTIONS: dict[str, tuple[str, Any, Any, Callable[[Session, Window], Any]]] = {
    "sign-in": ("Sign the caller in at the window", None, schema.WindowStaff, _sign_in),
    "sign-out": ("Sign the window's staff out", None, schema.WindowStaff, _sign_out),
    "call-next": (
        "Call the next ticket (checked-in appointments first, then first come)",
        None,
        schema.Ticket,
        _on_ticket(lambda s, w: queue.call_next(s, w, near_ahead())),
    ),
    "recall": (
        "Call the window's ticket again, at least the recall delay (COURIER_RECALL_DELAY) after "
        "its last call; 3 calls that far apart and no visitor make a no-show",
        None,
        schema.Ticket,
        _on_ticket(lambda s, w: queue.recall(s, w, recall_delay())),
    ),
    "start": (
        "The called visitor has arrived: service starts",
        None,
        schema.Ticket,
        _on_ticket(queue.start),
    ),
    "finish": (
        "Service is over (refused for a ticket never started)",
        None,
        schema.Ticket,
        _on_ticket(queue.finish),
    ),
    "hold": ("Put the window's ticket aside", None, schema.Ticket, _on_ticket(queue.hold)),
    "resume": ("Take a held ticket back up", schema.Resume, schema.Ticket, _resume),
    "transfer": (
        "Send the window's ticket to another queue, keeping its place",
        schema.Transfer,
        schema.Ticket,
        _transfer,
    ),
}


def _make_view(action: str, *, in_hall: bool) -> Callable[..., Any]:
    summary, body, answers, act = WINDOW_ACTIONS[action]

    def view(window: int, hall: str | None = None) -> Any:
        here = queue.hall_by_code(db(), hall)
        return answer(act(db(), queue.window_by_number(db(), window, here)))

    name = action.replace("-", "_")
    view.__name__ = f"hall_window_{name}" if in_hall else f"window_{name}"
    where = "" if in_hall else "; the first hall's window"
    declared = operation(
        f"{summary} (hall staff{where})", body=body, answer=answers, errors=(400, 404, 409)
    )
    return roles_required(Role.HALL_STAFF)(declared(view))


for _action in WINDOW_ACTIONS:
    api.add_url_rule(
        f"/windows/<id:window>/{_action}",
        view_func=_make_view(_action, in_hall=False),
        methods=["POST"],
    )
    api.add_url_rule(
        f"/halls/<code:hall>/windows/<id:window>/{_action}",
        view_func=_make_view(_action, in_hall=True),
        methods=["POST"],
    )

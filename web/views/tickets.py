"""The service halls: kiosk, window console, rating tablet, display board and appointments.

Each hall (one per service-centre campus) has its own pages under ``/hall/<hall>/...``; the
addresses without a hall (``/hall/kiosk``, ``/hall/windows/1``) keep meaning the first hall.

The display board's stream (Server-Sent Events) comes from the push server, ``web.push``: a
stream held open here would pin a server thread for its whole length.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext, lazy_gettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound as PageNotFound

from catalog.models import Channel, ItemChannel, ItemStatus, ServiceItem
from core.errors import N_, DomainError
from core.users import Role
from services import hall as hall_requests
from services.notices import booking_link
from services.ratings import rate_ticket
from tickets import appointments, booking_links, ics, queue, ratings
from tickets.models import Booking, Call, Category, Hall, Outcome, Status, Ticket, Window
from web.auth import current_user, login_required, public, roles_required
from web.db import db
from web.errors import problem_list
from web.formatting import translate
from web.hall import near_ahead, recall_delay
from web.params import base_url, form_key, phone_regions, push_origin
from web.pickup_qr import qr_src
from web.throttling import limit_anonymous_tickets

hall = Blueprint("tickets", __name__, url_prefix="/hall")

#: Seconds a board waits before asking again when the push server is not reachable.
STREAM_RETRY_SECONDS = 30
#: How many past calls the board shows under the current one.
RECENT_CALLS = 6


#: What the pages call a ticket's status and outcome.
LABELS = {
    "waiting": lazy_gettext("Waiting"),
    "called": lazy_gettext("Called"),
    "serving": lazy_gettext("Being served"),
    "held": lazy_gettext("On hold"),
    "done": lazy_gettext("Done"),
    "served": lazy_gettext("Served"),
    "no_show": lazy_gettext("No-show"),
    "transferred": lazy_gettext("Transferred"),
    "cancelled": lazy_gettext("Cancelled"),
    "booked": lazy_gettext("Booked"),
    "checked_in": lazy_gettext("Checked in"),
}


@hall.context_processor
def _labels() -> dict[str, Any]:
    return {"hall_label": lambda value: str(LABELS.get(str(value), value))}


def _refuse(error: DomainError) -> None:
    for problem in problem_list(error):
        flash(problem["message"], "error")


def _hall(hall_code: str | None) -> Hall:
    """The hall an address names; the first hall for the addresses without one."""
    return queue.hall_by_code(db(), hall_code)


@hall.get("/")
@public
def index() -> str:
    session = db()
    windows = session.scalars(select(Window).order_by(Window.hall_id, Window.number)).all()
    return render_template("tickets/index.html", halls=queue.halls(session), windows=windows)


@hall.get("/kiosk")
@hall.get("/<hall_code>/kiosk")
@public
def kiosk(hall_code: str | None = None) -> Any:
    session, here = db(), _hall(hall_code)
    waiting = dict(
        session.execute(
            select(Ticket.category_id, func.count())
            .where(Ticket.day == queue.today(), Ticket.status == Status.WAITING)
            .group_by(Ticket.category_id)
        ).all()
    )
    chosen = request.args.get("category", "")
    categories = queue.categories_of(session, here)
    # Coming from a service's guide, its queue comes first and stands out.
    categories.sort(key=lambda category: category.prefix != chosen)
    page = current_app.make_response(
        render_template(
            "tickets/kiosk.html", hall=here, categories=categories, waiting=waiting, chosen=chosen
        )
    )
    # Each showing carries a new one-time key; a page restored from the browser's history
    # would send the last visitor's key again.
    page.headers["Cache-Control"] = "no-store"
    return page


@hall.post("/kiosk/take")
@hall.post("/<hall_code>/kiosk/take")
@public
def take(hall_code: str | None = None) -> Any:
    here = _hall(hall_code)
    try:
        category = queue.category_by_prefix(db(), request.form.get("category", ""), here)
        limit_anonymous_tickets()
        ticket = hall_requests.take_ticket(
            db(),
            category,
            key=form_key(),
            phone=request.form.get("phone") or None,
            card=request.form.get("card") or None,
            phone_regions=phone_regions(),
        )
    except DomainError as error:
        _refuse(error)
        return redirect(url_for("tickets.kiosk", hall_code=here.code))
    return redirect(url_for("tickets.ticket", ticket_id=ticket.id, kiosk=1))


@hall.post("/kiosk/check-in")
@hall.post("/<hall_code>/kiosk/check-in")
@public
def check_in(hall_code: str | None = None) -> Any:
    here = _hall(hall_code)
    try:
        ticket = appointments.check_in(db(), request.form.get("code", ""), here)
    except DomainError as error:
        _refuse(error)
        return redirect(url_for("tickets.kiosk", hall_code=here.code))
    return redirect(url_for("tickets.ticket", ticket_id=ticket.id, kiosk=1))


#: Seconds the kiosk shows a new ticket before it returns to its start screen.
KIOSK_TICKET_SECONDS = 12


@hall.get("/tickets/<int:ticket_id>")
@public
def ticket(ticket_id: int) -> str:
    """A ticket's place in the queue. On the kiosk (``?kiosk=1``) it shows a QR of this page for
    the visitor's phone and returns to the kiosk's start screen after a few seconds."""
    row = queue.ticket_by_id(db(), ticket_id)
    kiosk = request.args.get("kiosk") == "1"
    return render_template(
        "tickets/ticket.html",
        ticket=row,
        where=queue.position(db(), row),
        kiosk=kiosk,
        qr=qr_src(base_url() + url_for("tickets.ticket", ticket_id=row.id), 6) if kiosk else None,
        seconds=KIOSK_TICKET_SECONDS,
    )


def _window(number: int, hall_code: str | None) -> Window:
    return queue.window_by_number(db(), number, _hall(hall_code))


@hall.get("/windows/<int:number>")
@hall.get("/<hall_code>/windows/<int:number>")
@roles_required(Role.HALL_STAFF)
def console(number: int, hall_code: str | None = None) -> str:
    session, window = db(), _window(number, hall_code)
    return render_template(
        "tickets/console.html",
        window=window,
        current=queue.current_ticket(session, window),
        held=queue.held_tickets(session, window),
        waiting=queue.waiting(session, [c.id for c in window.categories]),
        categories=queue.categories_of(session, window.hall),
    )


def _console_action(window: Window, action: str) -> str | None:
    """Run one console action; returns the message to show."""
    session, form = db(), request.form
    if action == "sign-in":
        user = current_user()
        assert user is not None
        queue.sign_in(session, window, user)
        return gettext("Signed in at window %(window)s.", window=window.number)
    if action == "sign-out":
        queue.sign_out(session, window)
        return gettext("Signed out.")
    if action == "transfer":
        target = queue.category_by_prefix(session, form.get("category", ""), window.hall)
        moved = queue.transfer(session, window, target)
        return gettext(
            "%(number)s sent to queue %(prefix)s.", number=moved.number, prefix=target.prefix
        )
    if action == "resume":
        held = queue.ticket_by_id(session, form.get("ticket", 0, type=int))
        return gettext("%(number)s resumed.", number=queue.resume(session, window, held).number)
    actions: dict[str, tuple[Callable[[Session, Window], Ticket], str]] = {
        "call-next": (
            lambda s, w: queue.call_next(s, w, near_ahead()),
            N_("%(number)s called."),
        ),
        "recall": (
            lambda s, w: queue.recall(s, w, recall_delay()),
            N_("%(number)s called again."),
        ),
        "start": (queue.start, N_("%(number)s: service started.")),
        "finish": (queue.finish, N_("%(number)s: finished.")),
        "hold": (queue.hold, N_("%(number)s put on hold.")),
    }
    if action not in actions:
        return None
    run, message = actions[action]
    ticket = run(session, window)
    if ticket.outcome == Outcome.NO_SHOW:
        return gettext("%(number)s did not come after three calls: no-show.", number=ticket.number)
    return translate(message, {"number": ticket.number})


@hall.post("/windows/<int:number>/<action>")
@hall.post("/<hall_code>/windows/<int:number>/<action>")
@roles_required(Role.HALL_STAFF)
def console_action(number: int, action: str, hall_code: str | None = None) -> Any:
    window = _window(number, hall_code)
    try:
        message = _console_action(window, action)
    except DomainError as error:
        _refuse(error)
    else:
        if message:
            flash(message, "success")
    return redirect(url_for("tickets.console", hall_code=window.hall.code, number=number))


@hall.get("/windows/<int:number>/rate")
@hall.get("/<hall_code>/windows/<int:number>/rate")
@roles_required(Role.HALL_STAFF)
def rate_page(number: int, hall_code: str | None = None) -> str:
    window = _window(number, hall_code)
    return render_template(
        "tickets/rate.html",
        window=window,
        ticket=ratings.awaiting_rating(db(), window),
        levels=ratings.LEVELS,
        reasons=ratings.REASONS,
    )


@hall.post("/windows/<int:number>/rate")
@hall.post("/<hall_code>/windows/<int:number>/rate")
@roles_required(Role.HALL_STAFF)
def rate(number: int, hall_code: str | None = None) -> Any:
    window = _window(number, hall_code)
    pending = ratings.awaiting_rating(db(), window)
    try:
        if pending is None or pending.id != request.form.get("ticket", 0, type=int):
            raise DomainError("rating_gone", N_("This rating is no longer open."))
        rate_ticket(
            db(),
            pending,
            request.form.get("level", 0, type=int),
            request.form.getlist("reasons"),
            request.form.get("comment", ""),
        )
    except DomainError as error:
        _refuse(error)
    else:
        flash(gettext("Thank you for your rating."), "success")
    return redirect(url_for("tickets.rate_page", hall_code=window.hall.code, number=number))


@hall.get("/display")
@hall.get("/<hall_code>/display")
@public
def display(hall_code: str | None = None) -> str:
    here = _hall(hall_code)
    recent = list(
        db().scalars(
            select(Call).where(Call.hall_id == here.id).order_by(Call.id.desc()).limit(RECENT_CALLS)
        )
    )
    repeat = max(1, min(request.args.get("repeat", 2, type=int), 5))
    return render_template(
        "tickets/display.html",
        hall=here,
        recent=recent,
        after=recent[0].id if recent else 0,
        stream_url=push_origin() + url_for("tickets.stream", hall_code=here.code),
        repeat=repeat,
    )


@hall.get("/display/stream")
@hall.get("/<hall_code>/display/stream")
@public
def stream(hall_code: str | None = None) -> Response:
    """The push server (``courier push``) serves display streams; a board that asks here is
    sent there. Behind a proxy the proxy routes streams to it, so a stream asked here means
    the push server is not reachable: 503 with ``Retry-After``."""
    _hall(hall_code)
    origin = push_origin()
    if origin:
        return redirect(origin + request.full_path.rstrip("?"), code=307)
    response = jsonify(
        error={
            "code": "push_unavailable",
            "message": gettext(
                "The hall's display service is not running; the board retries by itself."
            ),
        }
    )
    response.status_code = 503
    response.headers["Retry-After"] = str(STREAM_RETRY_SECONDS)
    return response


def _bookable_items(session: Session) -> list[ServiceItem]:
    """Published items served at a window whose department has a queue in some hall."""
    return list(
        session.scalars(
            select(ServiceItem)
            .join(ItemChannel)
            .where(
                ServiceItem.status == ItemStatus.PUBLISHED,
                ItemChannel.channel == Channel.WINDOW,
                ServiceItem.department_id.in_(
                    select(Category.department_id).where(Category.active)
                ),
            )
            .order_by(ServiceItem.code)
        )
    )


def _chosen_item(session: Session, code: str) -> ServiceItem | None:
    if not code:
        return None
    return session.scalar(
        select(ServiceItem).where(
            ServiceItem.code == code, ServiceItem.status == ItemStatus.PUBLISHED
        )
    )


@hall.get("/appointments")
@login_required
def appointments_page() -> str:
    """Book a time: by service item (its queues in the halls on its campuses, or in the chosen
    hall), else the chosen hall's queues."""
    session, user = db(), current_user()
    assert user is not None
    item = _chosen_item(session, request.args.get("item", ""))
    hall_code = request.args.get("hall", "")
    here = queue.hall_by_code(session, hall_code) if hall_code or item is None else None
    chosen = request.args.get("category", "")
    if item is not None:
        categories = appointments.categories_for_item(session, item, here)
    else:
        assert here is not None
        categories = queue.categories_of(session, here)
        categories.sort(key=lambda category: category.prefix != chosen)
    bookings = appointments.bookings_of(session, user)
    return render_template(
        "tickets/appointments.html",
        slots=[(c, appointments.open_slots(session, c)) for c in categories],
        bookings=bookings,
        links={
            b.id: url_for("tickets.booking", token=booking_links.link_token(session, b))
            for b in bookings
        },
        chosen=chosen,
        items=_bookable_items(session),
        item=item,
        halls=queue.halls(session),
        hall=here,
    )


@hall.post("/appointments")
@login_required
def book() -> Any:
    user = current_user()
    assert user is not None
    session = db()
    item = _chosen_item(session, request.form.get("item", ""))
    try:
        booking = hall_requests.book(
            session, user, request.form.get("slot", 0, type=int), form_key(), item
        )
    except DomainError as error:
        _refuse(error)
        return redirect(url_for("tickets.appointments_page", item=item.code if item else None))
    flash(gettext("Booked. Your check-in code is %(code)s.", code=booking.code), "success")
    return redirect(url_for("tickets.booking", token=booking_links.link_token(session, booking)))


@hall.post("/appointments/<int:booking_id>/cancel")
@login_required
def cancel_booking(booking_id: int) -> Any:
    user = current_user()
    assert user is not None
    booking = db().get(Booking, booking_id)
    try:
        if booking is None:
            raise DomainError("no_booking", N_("There is no appointment with this code."))
        appointments.cancel_booking(db(), user, booking)
    except DomainError as error:
        _refuse(error)
    else:
        flash(gettext("Appointment cancelled."), "success")
    return redirect(url_for("tickets.appointments_page"))


def _linked_booking(token: str) -> Booking:
    """The booking a notice's link names; a forged link is a plain 404."""
    booking = booking_links.booking_for_token(db(), token)
    if booking is None:
        raise PageNotFound()
    return booking


@hall.get("/booking/<token>")
@public
def booking(token: str) -> Any:
    """One appointment as its notice's link shows it, without a login: when and where, the
    check-in code, the materials to bring, the calendar file, cancel and other times."""
    session, row = db(), _linked_booking(token)
    changeable = appointments.can_change(row)
    page = current_app.make_response(
        render_template(
            "tickets/booking.html",
            booking=row,
            token=token,
            changeable=changeable,
            others=appointments.rebook_slots(session, row) if changeable else [],
            successor=session.scalar(select(Booking).where(Booking.rebooked_from_id == row.id)),
            link_of=lambda other: booking_links.link_token(session, other),
        )
    )
    # The page is the link's secret: no shared cache keeps it.
    page.headers["Cache-Control"] = "no-store"
    page.headers["Referrer-Policy"] = "no-referrer"
    return page


@hall.get("/booking/<token>/calendar.ics")
@public
def booking_calendar(token: str) -> Response:
    session, row = db(), _linked_booking(token)
    body = ics.booking_calendar(row, url=booking_link(session, row))
    return Response(
        body,
        mimetype="text/calendar",
        headers={
            "Content-Disposition": f'attachment; filename="appointment-{row.code}.ics"',
            "Cache-Control": "no-store",
        },
    )


@hall.post("/booking/<token>/cancel")
@public
def cancel_by_link(token: str) -> Any:
    row = _linked_booking(token)
    try:
        appointments.cancel(db(), row)
    except DomainError as error:
        _refuse(error)
    else:
        flash(gettext("Appointment cancelled."), "success")
    return redirect(url_for("tickets.booking", token=token))


@hall.post("/booking/<token>/rebook")
@public
def rebook_by_link(token: str) -> Any:
    session, row = db(), _linked_booking(token)
    try:
        moved = appointments.rebook(session, row, request.form.get("slot", 0, type=int))
    except DomainError as error:
        _refuse(error)
        return redirect(url_for("tickets.booking", token=token))
    flash(gettext("Moved. Your new check-in code is %(code)s.", code=moved.code), "success")
    return redirect(url_for("tickets.booking", token=booking_links.link_token(session, moved)))

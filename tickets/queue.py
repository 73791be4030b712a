"""Taking numbers, the queue's order, and what a window does with a ticket.

Numbers are a category's prefix and a daily sequence (A023). The sequence lives in one counter
row per category and local day, bumped by a single ``INSERT ... ON CONFLICT DO UPDATE ...
RETURNING`` in the ticket's own transaction: two kiosks at the same instant queue on that row's
lock, and a rolled-back take gives its number back, so numbers stay unique and gap-free.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import clock
from core.announce import HALL_CALLS, announce
from core.db import in_commit_order
from core.errors import N_, Conflict, DomainError, Forbidden, NotFound
from core.events import publish
from core.phones import DEFAULT_REGIONS, mobile_number
from core.users import Role, User
from tickets.events import TurnNear
from tickets.models import (
    ACTIVE_CARD_INDEX,
    ACTIVE_PHONE_INDEX,
    Call,
    Category,
    Hall,
    NumberCounter,
    Outcome,
    Status,
    Ticket,
    Window,
)

#: A called ticket that does not come after this many calls is a no-show.
MAX_CALLS = 3
#: The least time between two calls of one ticket (ZMS waits 5 minutes before a recall), so
#: that a no-show means the visitor really had the time to come.
RECALL_DELAY = dt.timedelta(minutes=5)
#: What a campus-card number looks like: letters and digits, as printed on the card.
CARD_PATTERN = re.compile(r"[0-9A-Z]{4,20}")
#: "Your turn is near" goes out when this many people (or fewer) are ahead.
NEAR_AHEAD = 3
#: Service time assumed before a category has any history.
DEFAULT_SERVICE = dt.timedelta(minutes=5)
#: How many recent services the wait estimate averages.
RECENT_SERVICES = 20

ACTIVE = (Status.CALLED, Status.SERVING)


def today() -> dt.date:
    """The hall's day (Asia/Shanghai): numbers start again at 001 each local day."""
    return clock.local_now().date()


def halls(session: Session) -> list[Hall]:
    """Every hall, the first one (the default of the addresses without a hall) first."""
    return list(session.scalars(select(Hall).order_by(Hall.id)))


def hall_by_code(session: Session, code: str | None = None) -> Hall:
    """The hall with this code; without one, the first hall (what the old addresses without a
    hall mean). :class:`NotFound` when there is no such hall."""
    query = select(Hall).order_by(Hall.id).limit(1)
    if code and ("\x00" in code or len(code) > 12):
        raise NotFound("no_hall", N_("There is no hall %(hall)s."), hall="")
    if code:
        query = select(Hall).where(Hall.code == code.strip().upper())
    hall = session.scalar(query)
    if hall is None:
        raise NotFound("no_hall", N_("There is no hall %(hall)s."), hall=code or "")
    return hall


def categories_of(session: Session, hall: Hall) -> list[Category]:
    """The hall's active queues by prefix."""
    return list(
        session.scalars(
            select(Category)
            .where(Category.hall_id == hall.id, Category.active)
            .order_by(Category.prefix)
        )
    )


def category_by_prefix(session: Session, prefix: str, hall: Hall) -> Category:
    """The hall's active category with this letter prefix, or :class:`NotFound`."""
    category = session.scalar(
        select(Category).where(
            Category.hall_id == hall.id,
            Category.prefix == prefix.strip().upper(),
            Category.active,
        )
    )
    if category is None:
        raise NotFound("no_category", N_("There is no queue %(prefix)s."), prefix=prefix)
    return category


def window_by_number(session: Session, number: int, hall: Hall) -> Window:
    """The hall's window with this number, or :class:`NotFound`."""
    window = session.scalar(
        select(Window).where(Window.hall_id == hall.id, Window.number == number)
    )
    if window is None:
        raise NotFound("no_window", N_("There is no window %(window)s."), window=number)
    return window


def campus_card(text: str) -> str:
    """A campus-card number as the card prints it, or :class:`DomainError`."""
    card = re.sub(r"[\s-]", "", text).upper()
    if not CARD_PATTERN.fullmatch(card):
        raise DomainError(
            "bad_card",
            N_("A campus-card number has 4 to 20 letters and digits."),
            field="card",
        )
    return card


def next_seq(session: Session, category_id: int, day: dt.date) -> int:
    """Bump and return the category's counter for ``day`` (locks its row until commit)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(NumberCounter)
        .values(category_id=category_id, day=day, last=1)
        .on_conflict_do_update(
            index_elements=[NumberCounter.category_id, NumberCounter.day],
            set_={"last": NumberCounter.last + 1},
        )
        .returning(NumberCounter.last)
    )
    return int(session.execute(statement).scalar_one())


def take_ticket(
    session: Session,
    category: Category,
    *,
    phone: str | None = None,
    card: str | None = None,
    user: User | None = None,
    phone_regions: tuple[str, ...] = DEFAULT_REGIONS,
) -> Ticket:
    """Give the next number in ``category`` to a walk-in visitor.

    A phone must be a mobile of ``phone_regions`` (the hall texts it when the turn is near);
    a campus card is the other way to say who holds the ticket. One person holds one active
    ticket per queue: a second for the same phone or card is refused, pointing at the first.
    The database's unique indexes decide between two kiosks taking a number for one person at
    once.
    """
    day = today()
    if phone and phone.strip():
        phone = mobile_number(phone, phone_regions)
        _refuse_second_ticket(session, category.id, day, phone=phone)
    card = campus_card(card) if card and card.strip() else None
    _refuse_second_ticket(session, category.id, day, card=card)
    now = clock.now()
    return _issue(session, category, now, now, phone=phone, card=card, user=user)


def _refuse_second_ticket(
    session: Session,
    category_id: int,
    day: dt.date,
    *,
    phone: str | None = None,
    card: str | None = None,
) -> None:
    """Raise :class:`Conflict` naming the active ticket ``phone`` or ``card`` holds in the
    queue, if any."""
    for column, value, message in (
        (Ticket.phone, phone, N_("This phone already holds ticket %(number)s in this queue.")),
        (Ticket.card, card, N_("This campus card already holds ticket %(number)s in this queue.")),
    ):
        if not value:
            continue
        active = session.scalar(
            select(Ticket).where(
                Ticket.category_id == category_id,
                Ticket.day == day,
                column == value,
                Ticket.status != Status.DONE,
            )
        )
        if active is not None:
            raise Conflict("ticket_active", message, number=active.number)


def _insert(session: Session, ticket: Ticket) -> Ticket:
    """Add ``ticket``; if its phone won a race for an active ticket elsewhere, refuse it.

    The savepoint keeps the caller's transaction usable after the index refuses the row, so
    the refusal can name the ticket that won.
    """
    try:
        with session.begin_nested():
            session.add(ticket)
    except IntegrityError as error:
        reason = str(error.orig)
        if not any(
            name in reason
            for name in (ACTIVE_PHONE_INDEX, ACTIVE_CARD_INDEX, "tickets.phone", "tickets.card")
        ):
            raise
        _refuse_second_ticket(
            session, ticket.category.id, ticket.day, phone=ticket.phone, card=ticket.card
        )
        raise
    return ticket


def _issue(
    session: Session,
    category: Category,
    queue_at: dt.datetime,
    wait_from: dt.datetime,
    *,
    appointment: bool = False,
    phone: str | None = None,
    card: str | None = None,
    user: User | None = None,
) -> Ticket:
    if not category.active:
        raise NotFound("no_category", N_("There is no queue %(prefix)s."), prefix=category.prefix)
    day = today()
    seq = next_seq(session, category.id, day)
    ticket = Ticket(
        category=category,
        day=day,
        seq=seq,
        number=f"{category.prefix}{seq:03d}",
        issued_at=clock.now(),
        queue_at=queue_at,
        wait_from=wait_from,
        appointment=appointment,
        phone=(phone or "").strip() or (user.phone if user else None) or None,
        card=card,
        user_id=user.id if user else None,
    )
    return _insert(session, ticket)


def _order(now: dt.datetime) -> tuple:
    """Checked-in appointments whose slot has begun come first, then everyone by queue time."""
    due = case((and_(Ticket.appointment, Ticket.queue_at <= now), 0), else_=1)
    return (due, Ticket.queue_at, Ticket.id)


def waiting(session: Session, category_ids: list[int], limit: int | None = None) -> list[Ticket]:
    """Today's waiting tickets of these categories, in the order they will be called."""
    query = (
        select(Ticket)
        .where(
            Ticket.day == today(),
            Ticket.status == Status.WAITING,
            Ticket.category_id.in_(category_ids),
        )
        .order_by(*_order(clock.now()))
    )
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def people_ahead(session: Session, ticket: Ticket) -> int:
    """How many waiting tickets of the same category will be called before this one."""
    if ticket.status != Status.WAITING:
        return 0
    ids = [t.id for t in waiting(session, [ticket.category_id])]
    return ids.index(ticket.id) if ticket.id in ids else 0


def average_service(session: Session, category_id: int) -> dt.timedelta:
    """The mean length of the category's recent services (a default before there are any)."""
    rows = session.execute(
        select(Ticket.started_at, Ticket.finished_at)
        .where(
            Ticket.category_id == category_id,
            Ticket.outcome == Outcome.SERVED,
            Ticket.started_at.is_not(None),
        )
        .order_by(Ticket.finished_at.desc())
        .limit(RECENT_SERVICES)
    ).all()
    if not rows:
        return DEFAULT_SERVICE
    total = sum((finished - started for started, finished in rows), dt.timedelta())
    return total / len(rows)


def open_windows(session: Session, category_id: int) -> int:
    """Windows serving the category with someone signed in (at least one, for estimates)."""
    count = session.scalar(
        select(func.count(Window.id)).where(
            Window.staff_id.is_not(None),
            Window.categories.any(Category.id == category_id),
        )
    )
    return max(int(count or 0), 1)


@dataclass(frozen=True)
class Position:
    ahead: int
    wait: dt.timedelta

    @property
    def wait_minutes(self) -> int:
        return round(self.wait.total_seconds() / 60)


def position(session: Session, ticket: Ticket) -> Position:
    """People ahead and the estimated wait: ahead x recent mean service / open windows."""
    ahead = people_ahead(session, ticket)
    wait = (
        average_service(session, ticket.category_id)
        * ahead
        / open_windows(session, ticket.category_id)
    )
    return Position(ahead, wait)


def sign_in(session: Session, window: Window, staff: User) -> None:
    """Put ``staff`` at ``window`` (and away from any other window)."""
    if not (staff.has_role(Role.HALL_STAFF) or staff.has_role(Role.ADMIN)):
        raise Forbidden("not_hall_staff", N_("Only hall staff can sign in at a window."))
    for other in session.scalars(select(Window).where(Window.staff_id == staff.id)):
        other.staff_id, other.signed_in_at = None, None
    window.staff_id, window.signed_in_at = staff.id, clock.now()
    session.flush()


def window_of(session: Session, staff: User) -> Window | None:
    """The window ``staff`` is signed in at, if any."""
    return session.scalar(select(Window).where(Window.staff_id == staff.id).limit(1))


def sign_out(session: Session, window: Window) -> None:
    window.staff_id, window.signed_in_at = None, None
    session.flush()


def current_ticket(session: Session, window: Window) -> Ticket | None:
    """The ticket called to or being served at the window, if any."""
    return session.scalar(
        select(Ticket).where(Ticket.window_id == window.id, Ticket.status.in_(ACTIVE))
    )


def held_tickets(session: Session, window: Window) -> list[Ticket]:
    return list(
        session.scalars(
            select(Ticket)
            .where(Ticket.window_id == window.id, Ticket.status == Status.HELD)
            .order_by(Ticket.id)
        )
    )


def _staffed(window: Window) -> int:
    if window.staff_id is None:
        raise DomainError(
            "no_staff", N_("No one is signed in at window %(window)s."), window=window.number
        )
    return window.staff_id


def _free(session: Session, window: Window) -> None:
    busy = current_ticket(session, window)
    if busy is not None:
        raise Conflict(
            "window_busy",
            N_("Window %(window)s still has ticket %(number)s; finish it or put it on hold."),
            window=window.number,
            number=busy.number,
        )


def _current(session: Session, window: Window) -> Ticket:
    ticket = current_ticket(session, window)
    if ticket is None:
        raise DomainError(
            "no_current", N_("Window %(window)s has no ticket called."), window=window.number
        )
    return ticket


def _record_call(session: Session, ticket: Ticket, window: Window, staff_id: int) -> Call:
    # Display boards follow calls by id: one committed after a later id would never be shown.
    in_commit_order(session, "ticket_calls")
    now = clock.now()
    ticket.calls += 1
    ticket.last_called_at = now
    call = Call(
        ticket_id=ticket.id,
        hall_id=window.hall_id,
        window_id=window.id,
        staff_id=staff_id,
        number=ticket.number,
        window_number=window.number,
        called_at=now,
    )
    session.add(call)
    session.flush()
    announce(session, HALL_CALLS)
    return call


def call_next(session: Session, window: Window, near: int = NEAR_AHEAD) -> Ticket:
    """Call the first waiting ticket of the window's categories to it.

    Each candidate is claimed with a conditional update, so two windows calling at once never
    get the same ticket.
    """
    staff_id = _staffed(window)
    _free(session, window)
    categories = [c.id for c in window.categories]
    now = clock.now()
    # A candidate another window claimed first is no longer waiting when the list is read again.
    while candidates := waiting(session, categories, limit=20):
        for candidate in candidates:
            claimed = session.execute(
                update(Ticket)
                .where(Ticket.id == candidate.id, Ticket.status == Status.WAITING)
                .values(
                    status=Status.CALLED,
                    window_id=window.id,
                    staff_id=staff_id,
                    first_called_at=now,
                )
                .execution_options(synchronize_session=False)
            ).rowcount
            if claimed:
                session.refresh(candidate)
                _record_call(session, candidate, window, staff_id)
                notify_near(session, candidate.category_id, near)
                return candidate
        session.expire_all()
    raise NotFound(
        "queue_empty", N_("No one is waiting for window %(window)s."), window=window.number
    )


def recall(session: Session, window: Window, delay: dt.timedelta = RECALL_DELAY) -> Ticket:
    """Call the window's ticket again, at least ``delay`` after its last call; one that has had
    :data:`MAX_CALLS` calls, ``delay`` apart, and still not come ``delay`` after the last one is
    a no-show. A recall sooner is refused, saying how long is left."""
    staff_id = _staffed(window)
    ticket = _current(session, window)
    if ticket.status != Status.CALLED:
        raise Conflict(
            "already_started",
            N_("Ticket %(number)s is already being served."),
            number=ticket.number,
        )
    last = ticket.last_called_at or ticket.first_called_at
    left = (last + delay - clock.now()) if last else dt.timedelta()
    if left > dt.timedelta():
        raise Conflict(
            "recall_too_soon",
            N_("Ticket %(number)s was called just now; call it again in %(minutes)s min."),
            number=ticket.number,
            minutes=max(1, math.ceil(left.total_seconds() / 60)),
        )
    if ticket.calls >= MAX_CALLS:
        _close(ticket, Outcome.NO_SHOW)
    else:
        _record_call(session, ticket, window, staff_id)
    session.flush()
    return ticket


def start(session: Session, window: Window) -> Ticket:
    """The visitor has come to the window: service starts."""
    _staffed(window)
    ticket = _current(session, window)
    if ticket.status != Status.CALLED:
        raise Conflict(
            "already_started",
            N_("Ticket %(number)s is already being served."),
            number=ticket.number,
        )
    ticket.status, ticket.started_at = Status.SERVING, clock.now()
    session.flush()
    return ticket


def finish(session: Session, window: Window) -> Ticket:
    """Service is over: the ticket is served (and may be rated)."""
    _staffed(window)
    ticket = _current(session, window)
    if ticket.status != Status.SERVING:
        raise DomainError(
            "not_started",
            N_("Ticket %(number)s was never started; start it before finishing."),
            number=ticket.number,
        )
    _close(ticket, Outcome.SERVED)
    session.flush()
    return ticket


def _close(ticket: Ticket, outcome: Outcome) -> None:
    ticket.status, ticket.outcome, ticket.finished_at = Status.DONE, outcome, clock.now()


def transfer(session: Session, window: Window, target: Category) -> Ticket:
    """Send the window's ticket to another category's queue, where it keeps its place by its
    first issue time and its number. Returns the new waiting ticket."""
    _staffed(window)
    ticket = _current(session, window)
    if target.id == ticket.category_id or not target.active or target.hall_id != window.hall_id:
        raise DomainError(
            "bad_transfer",
            N_("Choose another queue to transfer ticket %(number)s to."),
            number=ticket.number,
        )
    _close(ticket, Outcome.TRANSFERRED)
    successor = Ticket(
        category=target,
        day=ticket.day,
        seq=None,
        number=ticket.number,
        issued_at=clock.now(),
        queue_at=ticket.queue_at,
        wait_from=clock.now(),
        appointment=ticket.appointment,
        transferred_from_id=ticket.id,
        user_id=ticket.user_id,
        phone=ticket.phone,
        card=ticket.card,
        near_notified=ticket.near_notified,
    )
    session.flush()
    return _insert(session, successor)


def hold(session: Session, window: Window) -> Ticket:
    """Put the window's ticket aside (the visitor fetches a paper); the window may call on."""
    _staffed(window)
    ticket = _current(session, window)
    ticket.status = Status.HELD
    session.flush()
    return ticket


def resume(session: Session, window: Window, ticket: Ticket) -> Ticket:
    """Take a held ticket back up at the window that held it."""
    _staffed(window)
    if ticket.status != Status.HELD or ticket.window_id != window.id:
        raise Conflict(
            "not_held", N_("Ticket %(number)s is not on hold at this window."), number=ticket.number
        )
    _free(session, window)
    ticket.status = Status.SERVING if ticket.started_at else Status.CALLED
    session.flush()
    return ticket


def cancel(session: Session, ticket: Ticket) -> Ticket:
    """The visitor gives up a ticket that has not been called."""
    if ticket.status != Status.WAITING:
        raise Conflict(
            "not_waiting", N_("Ticket %(number)s is no longer waiting."), number=ticket.number
        )
    _close(ticket, Outcome.CANCELLED)
    session.flush()
    return ticket


def notify_near(session: Session, category_id: int, near: int = NEAR_AHEAD) -> None:
    """Announce :class:`TurnNear` once for each reachable ticket with ``near`` or fewer ahead."""
    for ahead, ticket in enumerate(waiting(session, [category_id], limit=near + 1)):
        if ticket.near_notified or not (ticket.phone or ticket.user_id):
            continue
        ticket.near_notified = True
        publish(
            session,
            TurnNear(
                ticket_id=ticket.id,
                user_id=ticket.user_id,
                phone=ticket.phone,
                number=ticket.number,
                people_ahead=ahead,
            ),
        )
    session.flush()


def ticket_by_id(session: Session, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound("no_ticket", N_("There is no ticket %(id)s."), id=ticket_id)
    return ticket

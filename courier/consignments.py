"""Creating consignments and finding them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from catalog.models import Affiliation, Campus, Channel, ItemStatus, ServiceItem
from core import clock, codes
from core.errors import N_, DomainError, Forbidden, NotFound, Problem, ValidationFailed
from core.phones import DEFAULT_REGIONS, mobile_number
from core.users import Role, User
from core.workdays import add_working_days
from courier import sla
from courier.custody import EventInput, Outcome, may_record, record_event
from courier.models import Consignment, CustodyEvent, Priority, Source
from courier.states import Kind, State

MAX_PAGES = 2000


@dataclass(frozen=True)
class NewConsignment:
    """What a submitter asks for; ``recipient_name`` empty means the submitter collects it."""

    service_item: str
    origin_campus: str | None = None
    pickup_campus: str | None = None
    recipient_name: str = ""
    recipient_phone: str = ""
    pages: int = 1
    documents: int = 1
    contains_originals: bool = False
    materials_checked: list[str] = field(default_factory=list)
    priority: Priority = Priority.NORMAL


def _campus(session: Session, code: str | None) -> Campus | None:
    if not code:
        return None
    return session.scalar(select(Campus).where(Campus.code == code.strip().upper()))


def create_consignment(
    session: Session,
    submitter: User,
    request: NewConsignment,
    label_key: str,
    phone_regions: tuple[str, ...] = DEFAULT_REGIONS,
) -> Consignment:
    """Register a consignment: tracking code, due time, and its first custody event; a
    recipient's number must be a mobile of ``phone_regions``."""
    problems: list[Problem] = []
    item = session.scalar(
        select(ServiceItem).where(ServiceItem.code == request.service_item.strip().upper())
    )
    if item is None:
        raise NotFound(
            "item_not_found",
            N_("No service item has the code %(code)s."),
            code=request.service_item,
        )
    if item.status != ItemStatus.PUBLISHED:
        raise DomainError(
            "item_not_offered",
            N_("The service item %(code)s is no longer offered."),
            code=item.code,
        )
    if Channel.COURIER_PROXY not in item.channels:
        raise DomainError(
            "proxy_not_allowed",
            N_("The courier cannot carry papers for %(code)s; it is handled %(channels)s."),
            code=item.code,
            channels=", ".join(item.channels),
        )
    origin = _campus(session, request.origin_campus)
    if origin is None and not request.origin_campus:
        affiliation = session.get(Affiliation, submitter.id)
        origin = affiliation.campus if affiliation else None
    if origin is None:
        problems.append(Problem("origin_campus", N_("Choose the campus where you drop it off.")))
    pickup = _campus(session, request.pickup_campus) if request.pickup_campus else origin
    if request.pickup_campus and pickup is None:
        problems.append(
            Problem("pickup_campus", N_("Unknown campus %(code)s."), code=request.pickup_campus)
        )
    name = request.recipient_name.strip()
    phone = request.recipient_phone.strip()
    if name:
        try:
            phone = mobile_number(phone, phone_regions, field="recipient")
        except ValidationFailed as refused:
            problems.extend(refused.problems)
    if not 1 <= request.pages <= MAX_PAGES:
        problems.append(Problem("pages", N_("Pages must be 1 to %(max)s."), max=MAX_PAGES))
    if not 1 <= request.documents <= MAX_PAGES:
        problems.append(Problem("documents", N_("Documents must be 1 to %(max)s."), max=MAX_PAGES))
    if problems or origin is None or pickup is None:
        raise ValidationFailed(problems)

    now = clock.now()
    due = add_working_days(session, now, item.time_limit_days)
    code = codes.new_code(label_key)
    while session.scalar(select(Consignment.id).where(Consignment.tracking_code == code)):
        code = codes.new_code(label_key)
    consignment = Consignment(
        tracking_code=code,
        submitter_id=submitter.id,
        recipient_user_id=None if name else submitter.id,
        recipient_name=name or submitter.name,
        recipient_phone=phone if name else submitter.phone,
        service_item_id=item.id,
        origin_campus_id=origin.id,
        department_id=item.department_id,
        joint_departments=[step.department_id for step in item.joint_steps],
        pickup_campus_id=pickup.id,
        current_campus_id=origin.id,
        pages=request.pages,
        documents=request.documents,
        contains_originals=request.contains_originals,
        materials_checked=list(request.materials_checked),
        priority=request.priority,
        due_at=due.at,
        due_provisional=due.provisional,
        state=State.CREATED,
        state_since=now,
        last_event_at=now,
        created_at=now,
    )
    sla.start_clock(consignment, item)
    session.add(consignment)
    session.flush()
    # The first event is written directly: no transition leads into CREATED.
    session.add(
        CustodyEvent(
            consignment_id=consignment.id,
            kind=Kind.CREATED,
            device_at=now,
            server_at=now,
            actor_id=submitter.id,
            source=Source.WEB,
            idempotency_key=f"created:{code}",
            state_after=State.CREATED,
            campus_id=origin.id,
        )
    )
    session.flush()
    return consignment


def find_consignment(session: Session, text: str, label_key: str) -> Consignment:
    """The consignment a code (typed, grouped, or a label's QR text) names.

    A forged or mistyped code is refused before the database is asked.
    """
    try:
        code = codes.verify(text, label_key)
    except codes.ForgedCode:
        raise NotFound(
            "unknown_code", N_("This is not a valid tracking code: check it and try again.")
        ) from None
    consignment = session.scalar(select(Consignment).where(Consignment.tracking_code == code))
    if consignment is None:
        raise NotFound("not_found", N_("No consignment has the code %(code)s."), code=code)
    return consignment


def consignments_of(session: Session, user: User, limit: int = 100) -> list[Consignment]:
    """The user's consignments, sent or to be received, newest first."""
    return list(
        session.scalars(
            select(Consignment)
            .where(
                or_(Consignment.submitter_id == user.id, Consignment.recipient_user_id == user.id)
            )
            .order_by(Consignment.created_at.desc(), Consignment.id.desc())
            .limit(limit)
        )
    )


def may_see(user: User, consignment: Consignment) -> bool:
    """Submitter, recipient and staff see the whole record; others see only public progress."""
    return user.id in (consignment.submitter_id, consignment.recipient_user_id) or user.has_role(
        Role.ADMIN, Role.COURIER, Role.CLERK, Role.HALL_STAFF
    )


def record_web_event(
    session: Session,
    consignment: Consignment,
    user: User,
    kind: Kind,
    key: str,
    **details: Any,
) -> Outcome:
    """Record an event a person entered on a page or through the API, after checking roles."""
    if not may_record(user, consignment, kind):
        raise Forbidden("forbidden", N_("You may not record %(kind)s."), kind=kind)
    return record_event(
        session,
        consignment,
        EventInput(kind=kind, idempotency_key=key, source=Source.WEB, actor=user, **details),
    )

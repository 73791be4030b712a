"""Proxy handling (代办) by agent clerks: the inbox, first-ask ownership, processing steps,
missing materials told once, and the result's way to the recipient.

Every step is a custody event recorded through :func:`courier.custody.record_event`, so the
state machine refuses steps out of order and the timeline shows who did what and when.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import and_, case, or_, select
from sqlalchemy.orm import Session, joinedload

from catalog.models import Affiliation, Department
from core import clock, codes
from core.errors import N_, Conflict, DomainError, Forbidden, Problem, ValidationFailed
from core.events import publish
from core.users import Role, User
from core.workdays import add_working_days
from courier import sla
from courier.custody import EventInput, Outcome, must, record_event
from courier.events import HopRecorded, MaterialsRequested, ResultAtDesk
from courier.models import Consignment, MaterialsRequest, Priority, ResultKind, Source
from courier.states import AGENT_STATES, AGENT_STEPS, Kind, State

RESULT_KINDS = tuple(ResultKind)
#: States that put a consignment in a clerk's inbox: waiting to be taken, being handled.
INBOX_STATES = (State.SORTED, *sorted(AGENT_STATES))
MAX_NOTE = 500


def _require_clerk(user: User) -> None:
    if not user.has_role(Role.CLERK, Role.ADMIN):
        raise Forbidden("not_a_clerk", N_("Only agent clerks handle consignments."))


def _record(
    session: Session,
    consignment: Consignment,
    clerk: User,
    kind: Kind,
    key: str,
    notes: str = "",
) -> Outcome:
    return must(
        record_event(
            session,
            consignment,
            EventInput(kind=kind, idempotency_key=key, source=Source.WEB, actor=clerk, notes=notes),
        )
    )


@dataclass(frozen=True)
class InboxRow:
    consignment: Consignment
    colour: str
    mine: bool
    #: Marked urgent by its sender, or due by the close of the next working day (or overdue).
    urgent: bool = False


@dataclass(frozen=True)
class Inbox:
    rows: list[InboxRow]
    counts: dict[State, int]
    to_place: list[Consignment]


def clerk_campus(session: Session, clerk: User) -> int | None:
    """The campus a clerk works at; ``None`` (all campuses) for an unaffiliated administrator."""
    affiliation = session.get(Affiliation, clerk.id)
    return affiliation.campus_id if affiliation else None


def inbox(
    session: Session,
    clerk: User,
    *,
    department_id: int | None = None,
    state: str | None = None,
    now: dt.datetime | None = None,
) -> Inbox:
    """Consignments waiting for an agent at the clerk's campus: urgent ones first (see
    :class:`InboxRow`), then the clerk's own, then by due time; the count per state ignores the
    state filter so the tabs stay meaningful."""
    now = now or clock.now()
    campus = clerk_campus(session, clerk)
    query = (
        select(Consignment)
        .join(Department, Department.id == Consignment.department_id)
        .where(
            Consignment.state.in_(INBOX_STATES),
            # A supplement's papers join their original's file: it is not a case of its own.
            Consignment.supplement_of_id.is_(None),
        )
        .options(
            joinedload(Consignment.department),
            joinedload(Consignment.service_item),
            joinedload(Consignment.agent),
        )
    )
    if campus is not None:
        query = query.where(Department.campus_id == campus)
    if department_id is not None:
        query = query.where(Consignment.department_id == department_id)
    consignments = list(
        session.scalars(
            query.order_by(
                case((Consignment.agent_id == clerk.id, 0), else_=1),
                Consignment.due_at,
                Consignment.id,
            )
        ).unique()
    )
    counts = Counter(c.state for c in consignments)
    if state:
        consignments = [c for c in consignments if c.state == state]
    soon = add_working_days(session, now, 1).at
    rows = []
    for c in consignments:
        colour = sla.colour(c, now)
        running = colour not in (sla.Colour.PAUSED, sla.Colour.DONE)
        urgent = c.priority == Priority.URGENT or (running and c.due_at <= soon)
        rows.append(InboxRow(c, colour, c.agent_id == clerk.id, urgent))
    # Urgent work first; within each group the clerk's own, then by due time (the query's order).
    rows.sort(key=lambda row: not row.urgent)
    return Inbox(rows, dict(counts), results_to_place(session, campus))


def results_to_place(session: Session, campus: int | None) -> list[Consignment]:
    """Results at the pickup campus that wait to go into a locker or to the desk."""
    same_campus = and_(
        Consignment.state == State.RESULT_READY,
        Consignment.pickup_campus_id == Department.campus_id,
    )
    query = (
        select(Consignment)
        .join(Department, Department.id == Consignment.department_id)
        .where(or_(same_campus, Consignment.state == State.RETURN_ARRIVED))
        .order_by(Consignment.state_since)
    )
    if campus is not None:
        query = query.where(Consignment.pickup_campus_id == campus)
    return list(session.scalars(query))


def accept(session: Session, consignment: Consignment, clerk: User) -> Outcome:
    """Take the consignment: the first clerk to accept owns it until it is closed.

    The consignment's row is locked first (PostgreSQL), so of two clerks accepting at once the
    second waits, then is refused naming the first, rather than failing on the custody log.
    """
    _require_clerk(clerk)
    session.refresh(consignment, with_for_update=True)
    if consignment.agent_id is not None and consignment.agent_id != clerk.id:
        owner = consignment.agent
        raise Conflict(
            "owned_by_other",
            N_("%(owner)s accepted this consignment on %(since)s and handles it."),
            owner=owner.name if owner else "?",
            since=consignment.accepted_at,
        )
    return _record(
        session, consignment, clerk, Kind.AGENT_ACCEPTED, f"accept:{consignment.tracking_code}"
    )


def reassign(
    session: Session, consignment: Consignment, by: User, to: User, reason: str
) -> Outcome:
    """Hand the consignment to another clerk; the reason goes into the custody log."""
    reason = reason.strip()[:MAX_NOTE]
    if consignment.state not in AGENT_STATES:
        raise Conflict("not_with_agent", N_("Only a consignment with an agent can be reassigned."))
    if by.id != consignment.agent_id and not by.has_role(Role.ADMIN):
        raise Forbidden("not_owner", N_("Only its clerk or an administrator can reassign it."))
    if not reason:
        raise ValidationFailed([Problem("reason", N_("Say why it is reassigned."))])
    if not to.has_role(Role.CLERK) or to.id == consignment.agent_id:
        raise ValidationFailed([Problem("to", N_("Choose another agent clerk."))])
    previous = consignment.agent
    outcome = _record(
        session,
        consignment,
        by,
        Kind.REASSIGNED,
        f"reassign:{consignment.tracking_code}:{secrets.token_hex(8)}",
        notes=f"{previous.name if previous else '?'} → {to.name}: {reason}",
    )
    consignment.agent_id = to.id
    consignment.accepted_at = clock.now()
    session.flush()
    return outcome


#: Steps recorded with a plain button (materials and results have their own forms).
SIMPLE_STEPS = (
    Kind.HANDED_TO_DEPARTMENT,
    Kind.AWAITING_SIGNATURE,
    Kind.RETURNED_BY_DEPARTMENT,
    Kind.APPROVED,
)


def record_step(
    session: Session,
    consignment: Consignment,
    clerk: User,
    kind: Kind,
    key: str,
    *,
    note: str = "",
    result_kind: str | None = None,
) -> Outcome:
    """Record one processing step; a rejection needs its reason, a result says what it is."""
    _require_clerk(clerk)
    note = note.strip()[:MAX_NOTE]
    if kind not in AGENT_STEPS or kind in (Kind.MATERIALS_REQUESTED, Kind.MATERIALS_RECEIVED):
        raise DomainError("not_a_step", N_("%(kind)s is not a processing step."), kind=kind)
    if kind is Kind.REJECTED and not note:
        raise ValidationFailed([Problem("note", N_("Say why the department rejected it."))])
    if kind is Kind.RESULT_READY and result_kind not in RESULT_KINDS:
        raise ValidationFailed([Problem("result_kind", N_("Say what the result is."))])
    outcome = _record(session, consignment, clerk, kind, key, notes=note)
    if kind is Kind.RESULT_READY and not outcome.duplicate:
        consignment.result_kind = ResultKind(result_kind)
    return outcome


def request_materials(
    session: Session,
    consignment: Consignment,
    clerk: User,
    ticked: list[str],
    other: str,
    key: str,
    *,
    reason: str = "",
    supplement: Consignment | None = None,
    supplement_url: str = "",
) -> MaterialsRequest:
    """Ask the submitter for everything missing or wrong; the SLA clock stops. ``supplement``
    is the envelope the materials come back in (see :mod:`services.materials`, which also
    enforces that the whole list is asked for once)."""
    _require_clerk(clerk)
    known = [m.name for m in consignment.service_item.materials]
    unknown = [name for name in ticked if name not in known]
    if unknown:
        raise ValidationFailed(
            [
                Problem(
                    "materials",
                    N_("%(name)s is not among the materials of this item."),
                    name=unknown[0],
                )
            ]
        )
    other = other.strip()[:MAX_NOTE]
    items = [name for name in known if name in ticked]
    if not items and not other:
        raise ValidationFailed(
            [Problem("materials", N_("Tick every missing or wrong material, or describe it."))]
        )
    listed = items + ([other] if other else [])
    outcome = _record(
        session, consignment, clerk, Kind.MATERIALS_REQUESTED, key, notes="; ".join(listed)
    )
    if outcome.duplicate:
        return _open_request(session, consignment) or _last_request(session, consignment)
    request = MaterialsRequest(
        consignment_id=consignment.id,
        requested_by_id=clerk.id,
        requested_at=outcome.event.device_at if outcome.event else clock.now(),
        items=items,
        note=other,
        reason=reason.strip()[:MAX_NOTE],
        supplement_id=supplement.id if supplement else None,
    )
    session.add(request)
    session.flush()
    publish(
        session,
        MaterialsRequested(
            consignment_id=consignment.id,
            request_id=request.id,
            submitter_id=consignment.submitter_id,
            items=tuple(listed),
            note=other,
            supplement_code=supplement.tracking_code if supplement else "",
            supplement_url=supplement_url,
        ),
    )
    return request


def _open_request(session: Session, consignment: Consignment) -> MaterialsRequest | None:
    return session.scalar(
        select(MaterialsRequest).where(
            MaterialsRequest.consignment_id == consignment.id,
            MaterialsRequest.received_at.is_(None),
        )
    )


def _last_request(session: Session, consignment: Consignment) -> MaterialsRequest:
    return session.scalars(
        select(MaterialsRequest)
        .where(MaterialsRequest.consignment_id == consignment.id)
        .order_by(MaterialsRequest.id.desc())
    ).first()  # type: ignore[return-value]


def materials_requests(session: Session, consignment: Consignment) -> list[MaterialsRequest]:
    """Every request of a consignment, oldest first (the pauses of its SLA clock)."""
    return list(
        session.scalars(
            select(MaterialsRequest)
            .where(MaterialsRequest.consignment_id == consignment.id)
            .order_by(MaterialsRequest.id)
        )
    )


def receive_materials(session: Session, consignment: Consignment, clerk: User, key: str) -> Outcome:
    """The submitter's materials arrived: the SLA clock runs again."""
    _require_clerk(clerk)
    outcome = _record(session, consignment, clerk, Kind.MATERIALS_RECEIVED, key)
    request = _open_request(session, consignment)
    if request is not None and not outcome.duplicate:
        request.received_at = outcome.event.device_at if outcome.event else clock.now()
        request.received_by_id = clerk.id
        session.flush()
    return outcome


def supplement_arrived(session: Session, hop: HopRecorded) -> None:
    """A supplement sorted at the desk brings the materials asked for: the original's request
    is answered and its SLA clock runs again, with no clerk to remember it."""
    if hop.kind is not Kind.SORTED or hop.late:
        return
    # The envelope is in the session already (the scan loaded it): most are no supplement,
    # and need no query to say so.
    sorted_one = session.get(Consignment, hop.consignment_id)
    if sorted_one is not None and sorted_one.supplement_of_id is None:
        return
    # A batch of scans writes its rows together: looking for a request must not flush them
    # (requests are answered below and flushed at once, so none is pending here).
    with session.no_autoflush:
        request = session.scalar(
            select(MaterialsRequest).where(
                MaterialsRequest.supplement_id == hop.consignment_id,
                MaterialsRequest.received_at.is_(None),
            )
        )
    if request is None:
        return
    original = session.get(Consignment, request.consignment_id)
    if original is None or original.state is not State.AWAITING_MATERIALS:
        return
    outcome = record_event(
        session,
        original,
        EventInput(
            kind=Kind.MATERIALS_RECEIVED,
            idempotency_key=f"supplement:{hop.tracking_code}",
            source=Source.SYSTEM,
            device_at=hop.at,
            notes=hop.tracking_code,
        ),
    )
    if outcome.ok and not outcome.duplicate:
        request.received_at = hop.at
        session.flush()


def _desk_key(session: Session, consignment: Consignment) -> str:
    return codes.desk_key(codes.code_key(session), consignment.pickup_campus.code)


def place_at_desk(session: Session, consignment: Consignment, clerk: User, key: str) -> str:
    """Keep the result at the service desk; returns the handover code (its only copy: the
    recipient's notice carries it), or "" when this placement was already recorded (a form sent
    twice keeps the code already sent). The code is kept as a keyed hash, as locker codes are."""
    _require_clerk(clerk)
    outcome = _record(session, consignment, clerk, Kind.PLACED_AT_DESK, key)
    if outcome.duplicate:
        return ""
    digits = codes.random_pin()
    consignment.desk_code_hash = codes.keyed_pin_hash(_desk_key(session, consignment), digits)
    session.flush()
    publish(
        session,
        ResultAtDesk(
            consignment_id=consignment.id, campus_id=consignment.pickup_campus_id, digits=digits
        ),
    )
    return digits


def hand_over(
    session: Session,
    consignment: Consignment,
    clerk: User,
    key: str,
    *,
    collected_by: str,
    code: str = "",
    id_checked: bool = False,
) -> Outcome:
    """Give the result at the desk to the person who shows the code or an ID; it closes."""
    if not clerk.has_role(Role.CLERK, Role.HALL_STAFF, Role.ADMIN):
        raise Forbidden("not_desk_staff", N_("Only desk staff hand results over."))
    if consignment.state != State.AT_DESK:
        raise Conflict(
            "not_at_desk",
            N_("This result is not at the service desk; it is %(state)s."),
            state=consignment.state,
        )
    collected_by = collected_by.strip()[:100]
    if not collected_by:
        raise ValidationFailed([Problem("collected_by", N_("Who collects it?"))])
    digits = "".join(ch for ch in code if ch.isdigit())
    by_code = codes.matches_pin(_desk_key(session, consignment), consignment.desk_code_hash, digits)
    if digits and not by_code:
        if consignment.desk_code_hash is None:
            # Codes kept before they were keyed were retired by migration 0019.
            raise DomainError(
                "no_desk_code", N_("This result has no handover code: check the collector's ID.")
            )
        raise DomainError("wrong_code", N_("That code is not right for this result."))
    if not by_code and not id_checked:
        raise ValidationFailed(
            [Problem("code", N_("Enter the pickup code, or check the collector's ID."))]
        )
    proof = "code" if by_code else "ID"
    outcome = _record(
        session,
        consignment,
        clerk,
        Kind.PICKED_UP,
        key,
        notes=f"{collected_by} ({proof})",
    )
    consignment.collected_by = collected_by
    consignment.desk_code_hash = None
    session.flush()
    return outcome

"""Recording custody events: the one way a consignment's state changes.

An event with a known idempotency key is a no-op that returns the first result. An event whose
device time is older than the newest applied one is stored in order but does not move the state
backwards. An impossible event is refused with a reason and stores nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from catalog.models import Location
from core import clock
from core.errors import N_, Conflict
from core.events import publish
from core.users import Role, User
from courier import sla
from courier.events import HopRecorded
from courier.models import Consignment, CustodyEvent, Photo, Source
from courier.states import (
    AGENT_STATES,
    AGENT_STEPS,
    ANNOTATIONS,
    LEADS_TO,
    STARTS_RETURN,
    TERMINAL,
    TRANSITIONS,
    Kind,
    Leg,
    Refusal,
    Situation,
    State,
    next_state,
)

#: Phones' clocks drift: an event this much older than the newest is still taken as current.
CLOCK_TOLERANCE = dt.timedelta(minutes=5)

#: Who may record which kind of event from the web or the API (administrators always may).
KIND_ROLES: dict[Kind, frozenset[Role]] = {
    Kind.DEPOSITED: frozenset({Role.COURIER, Role.CLERK, Role.HALL_STAFF}),
    Kind.COLLECTED: frozenset({Role.COURIER}),
    Kind.LOADED: frozenset({Role.COURIER}),
    Kind.UNLOADED: frozenset({Role.COURIER}),
    Kind.TRANSFERRED: frozenset({Role.COURIER}),
    Kind.SORTED: frozenset({Role.COURIER, Role.CLERK}),
    Kind.AGENT_ACCEPTED: frozenset({Role.CLERK}),
    Kind.REASSIGNED: frozenset({Role.CLERK}),
    Kind.HANDED_TO_DEPARTMENT: frozenset({Role.CLERK}),
    Kind.RETURNED_BY_DEPARTMENT: frozenset({Role.CLERK}),
    Kind.AWAITING_SIGNATURE: frozenset({Role.CLERK}),
    Kind.MATERIALS_REQUESTED: frozenset({Role.CLERK}),
    Kind.MATERIALS_RECEIVED: frozenset({Role.CLERK}),
    Kind.APPROVED: frozenset({Role.CLERK}),
    Kind.REJECTED: frozenset({Role.CLERK}),
    Kind.RESULT_READY: frozenset({Role.CLERK}),
    Kind.PLACED_FOR_PICKUP: frozenset({Role.CLERK, Role.COURIER, Role.HALL_STAFF}),
    Kind.PLACED_AT_DESK: frozenset({Role.CLERK, Role.HALL_STAFF}),
    Kind.PICKED_UP: frozenset({Role.CLERK, Role.HALL_STAFF}),
    Kind.HANDED_TO_COLLEAGUE: frozenset(),  # never a bare event: see may_record
    Kind.MISSED: frozenset({Role.COURIER}),
    Kind.DAMAGED: frozenset({Role.COURIER, Role.CLERK, Role.HALL_STAFF}),
    Kind.MISSING: frozenset({Role.COURIER, Role.CLERK, Role.HALL_STAFF}),
    Kind.MISROUTED: frozenset({Role.COURIER, Role.CLERK}),
    Kind.RETURNED_TO_SENDER: frozenset({Role.CLERK}),
    Kind.CANCELLED: frozenset(),  # the submitter (checked below) or an administrator
}


@dataclass
class Outcome:
    """What became of one event: accepted (maybe as a duplicate or late) or refused."""

    ok: bool
    state: State
    event: CustodyEvent | None = None
    duplicate: bool = False
    late: bool = False
    reason_code: str | None = None
    reason: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EventInput:
    kind: Kind
    idempotency_key: str
    source: Source
    actor: User | None = None
    device_at: dt.datetime | None = None
    location: Location | None = None
    device: str | None = None
    notes: str = ""
    photo: Photo | None = None
    #: The department a step concerns; for handovers and returns the current one by default.
    department_id: int | None = None


def must(outcome: Outcome) -> Outcome:
    """The outcome, or its refusal raised as a :class:`Conflict` (for callers that answer a
    person at once rather than report per item, as scans do)."""
    if not outcome.ok:
        raise Conflict(outcome.reason_code or "refused", outcome.reason or "", **outcome.params)
    return outcome


def may_record(user: User, consignment: Consignment, kind: Kind) -> bool:
    """Whether ``user`` may record ``kind`` on ``consignment`` from the web or the API.

    Nobody records a reassignment as a bare event: it would put a note in the custody log
    without moving the owner. :func:`courier.agents.reassign` does both, with a reason. Nor a
    handover to a colleague: :func:`services.pickups.let_colleague_collect` sends them a code.
    """
    if kind in (Kind.REASSIGNED, Kind.HANDED_TO_COLLEAGUE) or kind not in KIND_ROLES:
        # Kinds without roles (``created``) are written by the domain itself, never sent.
        return False
    if user.has_role(Role.ADMIN):
        return True
    if kind is Kind.CANCELLED:
        return consignment.submitter_id == user.id
    return user.has_role(*KIND_ROLES[kind])


def situation(consignment: Consignment, event_campus: int | None = None) -> Situation:
    return Situation(
        state=consignment.state,
        leg=consignment.leg,
        origin_campus=consignment.origin_campus_id,
        department_campus=consignment.department.campus_id,
        pickup_campus=consignment.pickup_campus_id,
        current_campus=consignment.current_campus_id,
        event_campus=event_campus,
        transfer_campus=consignment.transfer_campus_id,
        joint_steps=len(consignment.joint_departments or ()),
        joint_done=consignment.joint_done or 0,
    )


#: Steps that concern one department: the event names it (联审联办 passes several in turn).
DEPARTMENT_KINDS = frozenset(
    {Kind.HANDED_TO_DEPARTMENT, Kind.AWAITING_SIGNATURE, Kind.RETURNED_BY_DEPARTMENT}
)


def current_department_id(consignment: Consignment) -> int:
    """The department handling the papers now, or next: for 联审联办 the first in the order
    that has not given them back yet (the last one once all have), else the item's own."""
    joint = consignment.joint_departments or []
    if not joint:
        return consignment.department_id
    return joint[min(consignment.joint_done or 0, len(joint) - 1)]


def allowed_now(consignment: Consignment, kinds: Iterable[Kind]) -> list[Kind]:
    """Those of ``kinds`` the state machine would accept now, in the order given (pages offer
    only buttons that can work)."""
    now = situation(consignment)
    return [
        kind
        for kind in kinds
        if consignment.state in TRANSITIONS.get(kind, {})
        and not isinstance(next_state(kind, now), Refusal)
    ]


def _refused(consignment: Consignment, kind: Kind, refusal: Refusal) -> Outcome:
    params = {
        "kind": kind,
        "state": consignment.state,
        "when": consignment.state_since,
        **refusal.params,
    }
    return Outcome(
        ok=False,
        state=consignment.state,
        reason_code=refusal.code,
        reason=refusal.message,
        params=params,
    )


def find_event(session: Session, idempotency_key: str) -> CustodyEvent | None:
    return session.scalar(
        select(CustodyEvent).where(CustodyEvent.idempotency_key == idempotency_key)
    )


def record_event(
    session: Session,
    consignment: Consignment,
    given: EventInput,
    *,
    check_duplicate: bool = True,
    batch: list[dict[str, Any]] | None = None,
) -> Outcome:
    """Apply one event to ``consignment`` and append it to the custody log.

    ``check_duplicate=False`` skips the idempotency lookup for callers that already did it for a
    whole batch (scans). The event is added to the session, or its row to ``batch`` for a caller
    that inserts a batch's events at once with :func:`insert_events` (the outcome then holds no
    event object). Never commits: the entry point does.
    """
    if check_duplicate:
        earlier = find_event(session, given.idempotency_key)
        if earlier is not None:
            return Outcome(ok=True, state=consignment.state, event=earlier, duplicate=True)
    now = clock.now()
    # A device cannot report the future: a phone whose clock runs fast would otherwise make every
    # later event look late.
    device_at = min(given.device_at or now, now)
    event_campus = given.location.campus_id if given.location else None
    if given.kind is Kind.DAMAGED and given.photo is None:
        refusal = Refusal("photo_required", N_("A damaged envelope needs a photo."), {})
        return _refused(consignment, given.kind, refusal)
    owner = _owner_refusal(consignment, given)
    if owner is not None:
        return _refused(consignment, given.kind, owner)
    # A late event is history: it takes its place in the log whatever the state is now.
    late = device_at < consignment.last_event_at - CLOCK_TOLERANCE and given.kind not in ANNOTATIONS
    if not late and consignment.state in LEADS_TO.get(given.kind, ()):
        return Outcome(
            ok=True,
            state=consignment.state,
            duplicate=True,
            reason_code="already",
            reason=N_("Already %(state)s since %(when)s: nothing to do."),
            params={"state": consignment.state, "when": consignment.state_since},
        )
    if late:
        planned: State | Refusal = consignment.state
    else:
        planned = next_state(given.kind, situation(consignment, event_campus))
    if isinstance(planned, Refusal):
        return _refused(consignment, given.kind, planned)
    if planned is State.AT_HUB and given.kind is Kind.UNLOADED:
        # The unload at the hub is the planned change of bus: logged as such, with the next leg.
        given = replace(
            given, kind=Kind.TRANSFERRED, notes=given.notes or consignment.transfer_next
        )

    row = {
        "consignment_id": consignment.id,
        "kind": given.kind,
        "device_at": device_at,
        "server_at": now,
        "actor_id": given.actor.id if given.actor else None,
        "location_id": given.location.id if given.location else None,
        "campus_id": event_campus,
        "device": given.device,
        "source": given.source,
        "idempotency_key": given.idempotency_key,
        "notes": given.notes,
        "photo_id": given.photo.id if given.photo else None,
        "department_id": given.department_id
        if given.department_id is not None or given.kind not in DEPARTMENT_KINDS
        else current_department_id(consignment),
        "state_after": planned,
        "late": late,
    }
    event: CustodyEvent | None = None
    if batch is None:
        event = CustodyEvent(**row)
        session.add(event)
    else:
        # A batch's rows skip the ORM: building fifty mapped objects nobody reads cost more
        # than writing them.
        batch.append(row)
    if not late:
        _apply(session, consignment, given, planned, device_at, event_campus)
    outcome = Outcome(ok=True, state=consignment.state, event=event, late=late)
    if late:
        outcome.reason_code = "late"
        outcome.reason = N_("Recorded in its place in the history; the state stays %(state)s.")
        outcome.params = {"state": consignment.state}
    elif given.kind is Kind.TRANSFERRED:
        outcome.reason_code = "transferred"
        outcome.reason = N_("Change of bus here, as planned: next %(next)s.")
        outcome.params = {"next": given.notes}
    elif planned is State.MISROUTED and given.kind is Kind.UNLOADED:
        outcome.reason_code = "misrouted"
        outcome.reason = N_("Wrong campus: this envelope is misrouted. Load it again for its way.")
    publish(
        session,
        HopRecorded(
            consignment_id=consignment.id,
            tracking_code=consignment.tracking_code,
            kind=given.kind,
            state=consignment.state,
            at=device_at,
            late=late,
            location_id=given.location.id if given.location else None,
        ),
    )
    return outcome


def insert_events(session: Session, rows: list[dict[str, Any]]) -> None:
    """Write the event rows gathered by :func:`record_event` in one statement. The ORM would
    insert them one by one (SQLite cannot hand back the ids of a many-row insert in order), and
    a batch's callers need the rows, not their ids.

    The one place a batch's custody rows are written, so that how they are stored (a
    partitioned table, a side table of idempotency keys) changes here alone."""
    if rows:
        session.connection().execute(insert(CustodyEvent.__table__), rows)


#: What only the clerk who accepted a consignment records while it is with them; anyone else,
#: administrators too, first reassigns it (with a reason).
OWNED_KINDS = frozenset({*AGENT_STEPS, Kind.AGENT_ACCEPTED, Kind.RETURNED_TO_SENDER})


def _owner_refusal(consignment: Consignment, given: EventInput) -> Refusal | None:
    """First-ask responsibility: once a clerk accepted it, only they record its steps (a
    reassignment, with a reason, hands it on); an administrator may step in (a second materials
    request is theirs to make)."""
    if consignment.agent_id is None or given.actor is None or given.actor.has_role(Role.ADMIN):
        return None
    if given.kind not in OWNED_KINDS:
        return None
    if given.actor.id == consignment.agent_id or consignment.state not in AGENT_STATES:
        return None
    owner = consignment.agent
    return Refusal(
        "owned_by_other",
        N_("%(owner)s accepted this consignment on %(since)s and handles it."),
        {"owner": owner.name if owner else "?", "since": consignment.accepted_at},
    )


def _apply(
    session: Session,
    consignment: Consignment,
    given: EventInput,
    planned: State,
    device_at: dt.datetime,
    event_campus: int | None,
) -> None:
    kind = given.kind
    _apply_agent(session, consignment, given, device_at)
    if kind is Kind.DAMAGED:
        consignment.damaged = True
    if event_campus is not None:
        consignment.current_campus_id = event_campus
    elif kind is Kind.TRANSFERRED:
        consignment.current_campus_id = consignment.transfer_campus_id
    elif kind is Kind.UNLOADED and planned is not State.MISROUTED:
        consignment.current_campus_id = situation(consignment).expected_campus
    if kind is Kind.TRANSFERRED:
        # Planning names the next change of bus, if any, once it re-plans from the hub.
        consignment.transfer_campus_id = None
        consignment.transfer_next = ""
    if kind in STARTS_RETURN:
        consignment.leg = Leg.RETURN
    if kind is Kind.RETURNED_TO_SENDER:
        # The result (or the untouched papers) now go back to the submitter's campus.
        consignment.pickup_campus_id = consignment.origin_campus_id
        consignment.recipient_user_id = consignment.submitter_id
        consignment.recipient_name = consignment.submitter.name
        consignment.recipient_phone = consignment.submitter.phone
    if planned != consignment.state:
        consignment.state = planned
        consignment.state_since = device_at
    if planned in TERMINAL:
        consignment.closed_at = device_at
    consignment.last_event_at = max(consignment.last_event_at, device_at)


def _apply_agent(
    session: Session, consignment: Consignment, given: EventInput, at: dt.datetime
) -> None:
    """Ownership and the SLA clock follow the agent's steps."""
    kind = given.kind
    if kind is Kind.AGENT_ACCEPTED:
        if given.actor is not None:
            consignment.agent_id = given.actor.id
        consignment.accepted_at = at
        sla.start_at_acceptance(session, consignment, at)
    elif kind is Kind.RETURNED_BY_DEPARTMENT:
        consignment.joint_done = (consignment.joint_done or 0) + 1
    elif kind is Kind.MATERIALS_REQUESTED:
        sla.pause(consignment, at)
    elif kind is Kind.MATERIALS_RECEIVED:
        sla.resume(session, consignment, at)
    elif kind is Kind.RESULT_READY:
        consignment.result_ready_at = at
        sla.stop(consignment)
    elif kind in (Kind.CANCELLED, Kind.RETURNED_TO_SENDER):
        sla.stop(consignment)

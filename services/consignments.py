"""A consignment's life as people drive it: submit and plan, read, record an event."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from core import idempotency
from core.errors import N_, Forbidden, Problem, ValidationFailed
from core.phones import DEFAULT_REGIONS
from core.users import User
from courier.consignments import (
    NewConsignment,
    create_consignment,
    find_consignment,
    may_see,
    record_web_event,
)
from courier.custody import Outcome, find_event
from courier.models import Consignment
from courier.states import Kind
from routes.models import RoutePlan
from routes.plans import check_reachable, plan_of, replan
from services import desk as desk_acts
from services import materials
from services.ownership import claim
from services.pickup import place_result, refuse_leaving_a_locker, refuse_pickup_outside_the_desk


@dataclass(frozen=True)
class Submitted:
    """A consignment just created, with its first route plan (none without a timetable)."""

    consignment: Consignment
    plan: RoutePlan | None


def submit(
    session: Session,
    user: User,
    new: NewConsignment,
    label_key: str,
    *,
    accept_later: bool,
    phone_regions: tuple[str, ...] = DEFAULT_REGIONS,
    key: str = "",
) -> Submitted:
    """Create and plan a consignment; refuse it when no shuttle reaches its destination soon,
    unless the submitter accepted the later date offered. A recipient's number must be a mobile
    of ``phone_regions``. A ``key`` this user sent before (a form or an API call sent twice)
    answers with the consignment the first one made."""

    def run() -> Submitted:
        consignment = create_consignment(session, user, new, label_key, phone_regions)
        if not accept_later:
            check_reachable(session, consignment)
        return Submitted(consignment, replan(session, consignment))

    def load(consignment_id: int) -> Submitted:
        return Submitted(
            session.get_one(Consignment, consignment_id), plan_of(session, consignment_id)
        )

    return idempotency.once(
        session,
        idempotency.scope_of(user.id),
        "consignment",
        key,
        idempotency.fingerprint(new, accept_later),
        run,
        lambda made: made.consignment.id,
        load,
    )


def visible(session: Session, user: User | None, code: str, label_key: str) -> Consignment:
    """The consignment a code names, if ``user`` may read it (the one check for pages and API)."""
    consignment = find_consignment(session, code, label_key)
    if user is None or not may_see(user, consignment):
        raise Forbidden("forbidden", N_("This consignment is not yours."))
    return consignment


@dataclass(frozen=True)
class DeskDetails:
    """What the agent's steps that are more than an event need: a materials request's list
    (and, asked again, its reason) and supplement link, a reassignment's target and reason."""

    missing: tuple[str, ...] = ()
    other: str = ""
    reason: str = ""
    to: User | None = None
    label_key: str = ""
    base_url: str = ""


def record(
    session: Session,
    user: User,
    consignment: Consignment,
    kind: Kind,
    key: str,
    desk: DeskDetails | None = None,
    **details: Any,
) -> Outcome:
    """Record an event a person entered on a page or through the API.

    Ownership (:func:`services.ownership.claim`) and the roles are checked here for both;
    an acceptance locks the consignment, so of two at once the second hears who won; a result
    placed for pickup goes where :func:`services.pickup.place_result` puts it; a materials
    request and a reassignment go through the same rules as on the desk page (once with the
    whole list and a notice; a target and a reason).
    """
    claim(session, user, consignment, kind)
    refuse_pickup_outside_the_desk(consignment, kind)
    refuse_leaving_a_locker(session, consignment, kind)
    if kind is Kind.REJECTED and not str(details.get("notes") or "").strip():
        # The submitter is told why: 不予办理 without a reason helps nobody (pages and API alike).
        raise ValidationFailed([Problem("notes", N_("Say why the department rejected it."))])
    if kind is Kind.AGENT_ACCEPTED:
        return desk_acts.accept(session, user, consignment)
    if kind is Kind.PLACED_FOR_PICKUP:
        return place_result(session, user, consignment, key).outcome
    desk = desk or DeskDetails()
    if kind is Kind.MATERIALS_REQUESTED:
        materials.request_materials(
            session,
            user,
            consignment,
            list(desk.missing),
            desk.other or str(details.get("notes") or ""),
            key,
            reason=desk.reason,
            label_key=desk.label_key,
            base_url=desk.base_url,
        )
        return Outcome(ok=True, state=consignment.state, event=find_event(session, key))
    if kind is Kind.REASSIGNED:
        problems = []
        if desk.to is None:
            problems.append(Problem("to", N_("Choose another agent clerk.")))
        if not desk.reason.strip():
            problems.append(Problem("reason", N_("Say why it is reassigned.")))
        if problems:
            raise ValidationFailed(problems)
        assert desk.to is not None  # checked above
        return desk_acts.reassign(session, user, consignment, desk.to, desk.reason)
    return record_web_event(session, consignment, user, kind, key, **details)

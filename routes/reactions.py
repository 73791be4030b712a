"""Routes' reactions to hops: :func:`on_hop` handles the event, :func:`settle` is a settle step.

``services.bootstrap`` subscribes both. A hop only notes the consignment in the session; the notes
are settled together (manifests ticked, legs moved on, plans re-planned) before the unit of work
commits or when someone reads a plan, so a batch of scans pays for its plans once instead of
flushing after every scan.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.errors import N_
from courier.events import HopRecorded
from courier.models import Consignment
from courier.states import Kind, State
from routes import manifests
from routes.models import LegStatus, PlanLeg, RoutePlan
from routes.network import Timetable
from routes.planner import Planner
from routes.plans import (
    LOAD_GRACE,
    PENDING_KEY,
    Reason,
    drop_boxes,
    insert_eta_changes,
    mark_transfer,
    replan,
)

#: States in which the envelope rides (or waits for) its planned shuttles.
ON_ROUTE = frozenset({State.COLLECTED, State.IN_TRANSIT, State.AT_HUB, State.RETURN_IN_TRANSIT})

#: Reasons for hops that change the plan by design rather than by accident.
REASONS = {
    Kind.RESULT_READY: Reason(N_("The result is ready: the way back is planned."), {}),
    Kind.RETURNED_TO_SENDER: Reason(N_("Returned to the sender: the way back is planned."), {}),
    Kind.MISROUTED: Reason(N_("Misrouted: re-planned from where it is."), {}),
}


def on_hop(session: Session, hop: HopRecorded) -> None:
    """Note the hop; :func:`settle` handles it before the commit."""
    if not hop.late:
        session.info.setdefault(PENDING_KEY, []).append(
            (hop.consignment_id, hop.kind, hop.at, hop.location_id)
        )


def settle(session: Session) -> None:
    """After the hops noted so far: tick the manifests, move the plans' legs on, re-plan.

    Its reads do not flush: the hops' own changes (a batch's consignments) and the plans' are
    written together, in one flush at the end, and no read here needs either of them stored.
    """
    pending: list[tuple[int, Kind, dt.datetime, int | None]] = session.info.pop(PENDING_KEY, [])
    if not pending:
        return
    with session.no_autoflush:
        eta_changes = _settle(session, pending)
    session.flush()
    insert_eta_changes(session, eta_changes)


def _settle(
    session: Session, pending: list[tuple[int, Kind, dt.datetime, int | None]]
) -> list[dict[str, Any]]:
    """:func:`settle`'s work, unflushed; returns the ETA changes' rows for it to insert."""
    manifests.tick(session, pending)
    hops: dict[int, list[tuple[Kind, dt.datetime]]] = {}
    for consignment_id, kind, at, _where in pending:
        hops.setdefault(consignment_id, []).append((kind, at))
    plans = {
        plan.consignment_id: plan
        for plan in session.scalars(
            select(RoutePlan)
            .where(RoutePlan.consignment_id.in_(hops))
            .options(selectinload(RoutePlan.legs))
        )
    }
    deposited: dict[int, int] | None = None
    planner: Planner | None = None
    timetable: Timetable | None = None
    eta_changes: list[dict[str, Any]] = []
    consignments = session.scalars(select(Consignment).where(Consignment.id.in_(hops)))
    for consignment in consignments:
        plan = plans.get(consignment.id)
        reason = None
        planned = [leg for leg in plan.legs if leg.status == LegStatus.PLANNED] if plan else []
        for kind, at in hops[consignment.id]:
            if plan is not None:
                _move_legs(plan, kind, at)
            reason = REASONS.get(kind, reason)
        last = hops[consignment.id][-1][1]
        if plan is not None and _still_holds(
            plan, planned, consignment, hops[consignment.id], last
        ):
            plan.updated_at = last
            timetable = timetable or Timetable.of(session)
            mark_transfer(consignment, plan, timetable)
            continue
        planner = planner or Planner(session)
        if deposited is None:
            # Only re-planning asks where envelopes were deposited: a batch of loads on time
            # needs no such query.
            deposited = drop_boxes(session, list(hops))
        replan(
            session,
            consignment,
            reason,
            last,
            plan=plan,
            flush=False,
            drop_box=deposited.get(consignment.id),
            planner=planner,
            eta_changes=eta_changes,
        )
    return eta_changes


#: Hops that, done on time, leave the plan as it was: the envelope is on its planned way.
ON_THE_WAY = frozenset({Kind.COLLECTED, Kind.LOADED})


def _still_holds(
    plan: RoutePlan,
    planned: list[PlanLeg],
    consignment: Consignment,
    hops: list[tuple[Kind, dt.datetime]],
    at: dt.datetime,
) -> bool:
    """Whether the stored plan and its ETA still hold after these hops, so that planning again
    would find the same rides: a collection or load on the way, with none of the rides that
    were ``planned`` before them gone by (a load counts for a bus up to LOAD_GRACE late)."""
    if plan.eta is None or any(kind not in ON_THE_WAY for kind, _at in hops):
        return False
    if consignment.state not in ON_ROUTE:
        return False
    return all(leg.departs_at >= at - LOAD_GRACE for leg in planned)


def _move_legs(plan: RoutePlan, kind: Kind, at: dt.datetime) -> None:
    """A load puts the envelope on the first planned ride; an unload at ``at`` ends the ride it
    is on. A ride that cannot have been the one (unloaded before it left) is dropped, so that
    the next leg is planned from where and when the envelope really is; one unloaded before its
    planned arrival arrived then."""
    pending = [leg for leg in plan.legs if leg.status == LegStatus.PLANNED]
    if kind is Kind.LOADED and pending:
        pending[0].status = LegStatus.LOADED
    elif kind in (Kind.UNLOADED, Kind.TRANSFERRED):
        for leg in list(plan.legs):
            if leg.status != LegStatus.LOADED:
                continue
            if at < leg.departs_at:
                plan.legs.remove(leg)
                continue
            leg.arrives_at = min(leg.arrives_at, at)
            leg.status = LegStatus.DONE

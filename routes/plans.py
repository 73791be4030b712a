"""Each consignment's planned route and ETA, re-planned from where it is after every hop.

Outbound, the ETA is when the envelope is sorted at the department's campus; the agent's
handling time is unknown (the service item's time limit is only a note), so the return leg is
planned when the result is ready, and the ETA then is when it is ready in the pickup campus.
Every change of the ETA is kept with its reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, selectinload

from core import clock
from core.clock import SHANGHAI
from core.errors import N_, DomainError
from core.events import settle
from courier.models import Consignment, CustodyEvent
from courier.states import Kind, Leg, State
from routes.models import EtaChange, LegStatus, PlanLeg, RoutePlan
from routes.network import Timetable
from routes.planner import HORIZON_DAYS, LONG_HORIZON_DAYS, Planner, Route

#: A load scan this long after a departure still counts as that departure (buses run late).
LOAD_GRACE = dt.timedelta(minutes=15)

#: States whose outbound route is from the drop box (not yet collected).
AT_DROP_BOX = (State.CREATED, State.DEPOSITED)
#: States in which the envelope waits at the department: the outbound ETA stands.
AT_DEPARTMENT = (State.SORTED, State.WITH_AGENT)
#: States that end planning.
NO_ROUTE = (State.PICKED_UP, State.CANCELLED, State.MISSING)


@dataclass(frozen=True)
class Reason:
    """Why an ETA changed: a message id and its parameters."""

    message: str
    params: dict[str, Any]


PLANNED = Reason(N_("Planned at submission."), {})

#: Where hops wait in ``Session.info`` to be settled (see :mod:`routes.reactions`).
PENDING_KEY = "routes.pending_hops"


def settle_hops(session: Session) -> None:
    """Bring the plans up to date with the hops recorded in this session so far."""
    if session.info.get(PENDING_KEY):
        settle(session)


class Unreachable(DomainError):
    """No shuttle reaches the destination in time; ``earliest`` is when it first could."""

    status = 422


def plan_of(session: Session, consignment_id: int) -> RoutePlan | None:
    settle_hops(session)
    return session.scalar(
        select(RoutePlan)
        .where(RoutePlan.consignment_id == consignment_id)
        .options(selectinload(RoutePlan.legs))
    )


def _hhmm(at: dt.datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%H:%M")


def _day(at: dt.datetime) -> str:
    return at.astimezone(SHANGHAI).date().isoformat()


def _last_location(session: Session, consignment: Consignment) -> int | None:
    return drop_boxes(session, [consignment.id]).get(consignment.id)


def drop_boxes(session: Session, consignment_ids: list[int]) -> dict[int, int]:
    """Where each of the consignments was deposited (those deposited at a known place)."""
    rows = session.execute(
        select(CustodyEvent.consignment_id, CustodyEvent.location_id)
        .where(
            CustodyEvent.consignment_id.in_(consignment_ids),
            CustodyEvent.kind == Kind.DEPOSITED,
            CustodyEvent.location_id.is_not(None),
        )
        .order_by(CustodyEvent.device_at)
    )
    # Ordered by time, so a later deposit (after a return to sender, say) wins.
    return dict(rows.all())


@dataclass
class Outlook:
    """What planning found: the route (if any), the ETA and what it is of, a note."""

    route: Route | None
    eta: dt.datetime | None
    eta_kind: str
    leg: Leg
    note: str = ""
    note_params: dict[str, Any] | None = None
    collect: tuple[int, dt.datetime] | None = None


def outlook(
    session: Session,
    consignment: Consignment,
    now: dt.datetime | None = None,
    horizon_days: int = HORIZON_DAYS,
    planner: Planner | None = None,
    drop_box: int | None = None,
) -> Outlook | None:
    """The way ahead of ``consignment`` from where it is now; None when no timetable is set.

    ``drop_box`` is where it was deposited, when the caller knows (else it is looked up).
    """
    planner = planner or Planner(session)
    tt = planner.timetable
    if not tt.configured:
        return None
    now = now or clock.now()
    state = consignment.state
    department_campus = consignment.department.campus_id
    leg = consignment.leg
    if state in NO_ROUTE:
        return Outlook(None, None, "pickup", leg)
    if state is State.AWAITING_PICKUP:
        return Outlook(None, consignment.state_since, "pickup", leg)
    if state in AT_DEPARTMENT or (state is State.ARRIVED and leg is Leg.OUTBOUND):
        sorted_at = consignment.state_since + dt.timedelta(
            minutes=0 if state in AT_DEPARTMENT else tt.sorting_minutes(department_campus)
        )
        return Outlook(
            None,
            sorted_at,
            "department",
            leg,
            N_(
                "The way back is planned when the result is ready "
                "(time limit: %(days)s working days)."
            ),
            {"days": consignment.service_item.time_limit_days},
        )
    target = consignment.pickup_campus_id if leg is Leg.RETURN else department_campus
    kind = "pickup" if leg is Leg.RETURN else "department"
    here = consignment.current_campus_id or consignment.origin_campus_id
    if state is State.RETURN_ARRIVED:
        ready = now + dt.timedelta(minutes=tt.sorting_minutes(target))
        return Outlook(None, ready, kind, leg)
    collect = None
    if state in AT_DROP_BOX:
        sources, collect = planner.emptied(
            max(now, consignment.created_at),
            here,
            drop_box or _last_location(session, consignment),
            horizon_days,
        )
    elif state in (State.IN_TRANSIT, State.RETURN_IN_TRANSIT):
        # Loaded just now, perhaps onto a bus already due: it may be aboard that one.
        start = now - LOAD_GRACE
        sources = {s.id: start for s in tt.stops_of(here)}
    elif state is State.RESULT_READY:
        start = now + dt.timedelta(minutes=tt.sorting_minutes(here))
        sources = {s.id: start for s in tt.stops_of(here)}
    else:
        sources = {s.id: now for s in tt.stops_of(here)}
    if here == target:
        ready = min(sources.values(), default=now) + dt.timedelta(
            minutes=tt.sorting_minutes(target)
        )
        return Outlook(Route([], ready, ready), ready, kind, leg, collect=collect)
    route = planner.route(sources, target, horizon_days)
    if route is None:
        return Outlook(
            None,
            None,
            kind,
            leg,
            N_("No shuttle reaches the destination in the next %(days)s days."),
            {"days": horizon_days},
            collect,
        )
    return Outlook(route, route.ready_at, kind, leg, collect=collect)


def check_reachable(session: Session, consignment: Consignment) -> None:
    """Refuse a new consignment whose destination no shuttle reaches within the horizon,
    naming the earliest date it could arrive (or that it cannot at all)."""
    planner = Planner(session)
    found = outlook(session, consignment, planner=planner)
    if found is None or found.eta is not None:
        return
    later = outlook(session, consignment, horizon_days=LONG_HORIZON_DAYS, planner=planner)
    campus = consignment.department.campus.name
    if later is None or later.eta is None:
        raise Unreachable(
            "unreachable",
            N_("No shuttle goes to %(campus)s in the next %(days)s days: it cannot be sent now."),
            campus=campus,
            days=LONG_HORIZON_DAYS,
        )
    raise Unreachable(
        "unreachable",
        N_(
            "No shuttle reaches %(campus)s in the next %(days)s days; the earliest it can "
            "arrive is %(date)s. Submit it again with that date accepted, or hand it in later."
        ),
        campus=campus,
        days=HORIZON_DAYS,
        date=_day(later.eta),
        earliest=later.eta.isoformat(),
    )


def replan(
    session: Session,
    consignment: Consignment,
    reason: Reason | None = None,
    now: dt.datetime | None = None,
    horizon_days: int = HORIZON_DAYS,
    plan: RoutePlan | None = None,
    flush: bool = True,
    drop_box: int | None = None,
    planner: Planner | None = None,
    eta_changes: list[dict[str, Any]] | None = None,
) -> RoutePlan | None:
    """Plan ``consignment`` from where it is, store the legs and record an ETA change.

    The reason given wins; without one, a planned departure that has gone by unloaded is the
    reason ("missed the 10:30 shuttle"). Returns None when no timetable is configured.
    ``flush=False`` leaves the flush to a caller re-planning many at once, ``planner``
    shares one timetable snapshot among them, and ``eta_changes`` gathers the ETA changes'
    rows for it to insert at once with :func:`insert_eta_changes`.
    """
    now = now or clock.now()
    found = outlook(session, consignment, now, horizon_days, planner=planner, drop_box=drop_box)
    if found is None:
        return None
    plan = plan or session.scalar(
        select(RoutePlan)
        .where(RoutePlan.consignment_id == consignment.id)
        .options(selectinload(RoutePlan.legs))
    )
    if plan is None:
        plan = RoutePlan(consignment_id=consignment.id, eta=None)
        session.add(plan)
        old_eta: dt.datetime | None = None
        first = True
    else:
        old_eta, first = plan.eta, False
    reason = reason or (PLANNED if first else _missed(plan, found, now))
    # Missed legs have served as the reason; ridden ones stay as the record of the way so far.
    kept = [leg for leg in plan.legs if leg.status == LegStatus.DONE]
    kept += [
        leg
        for leg in plan.legs
        if leg.status == LegStatus.LOADED and leg.arrives_at > now - LOAD_GRACE
    ]
    loaded_trips = {
        (leg.trip_id, leg.service_date) for leg in kept if leg.status == LegStatus.LOADED
    }
    legs = list(kept)
    # A ride planned before and found again keeps its row: re-planning on the way rewrites
    # only what changed.
    planned = {
        (leg.trip_id, leg.service_date, leg.board_stop_id, leg.alight_stop_id): leg
        for leg in plan.legs
        if leg.status == LegStatus.PLANNED
    }
    if found.route is not None:
        for ride in found.route.rides:
            if (ride.trip_id, ride.service_date) in loaded_trips:
                continue
            same = planned.pop(
                (ride.trip_id, ride.service_date, ride.board_stop, ride.alight_stop), None
            )
            if same is not None and same.leg == found.leg:
                # Set only what changed: an unchanged leg then costs the flush nothing.
                if (same.departs_at, same.arrives_at) != (ride.departs_at, ride.arrives_at):
                    same.departs_at, same.arrives_at = ride.departs_at, ride.arrives_at
                legs.append(same)
                continue
            legs.append(
                PlanLeg(
                    seq=0,
                    leg=found.leg,
                    trip_id=ride.trip_id,
                    service_date=ride.service_date,
                    board_stop_id=ride.board_stop,
                    alight_stop_id=ride.alight_stop,
                    departs_at=ride.departs_at,
                    arrives_at=ride.arrives_at,
                    # Said here, not left to the column default: mark_transfer reads it
                    # before the flush.
                    status=LegStatus.PLANNED,
                )
            )
    riding = consignment.state in (State.IN_TRANSIT, State.RETURN_IN_TRANSIT)
    if riding and not loaded_trips and len(legs) > len(kept):
        # On a shuttle already, though no load scan told which: the first ride is the one.
        legs[len(kept)].status = LegStatus.LOADED
    legs.sort(key=lambda item: item.departs_at)
    for seq, leg in enumerate(legs):
        if leg.seq != seq:
            leg.seq = seq
    if plan.legs != legs:
        plan.legs = legs
    plan.eta, plan.eta_kind = found.eta, found.eta_kind
    plan.note, plan.note_params = found.note, found.note_params or {}
    plan.collect_location_id = found.collect[0] if found.collect else None
    plan.collect_at = found.collect[1] if found.collect else None
    plan.updated_at = now
    mark_transfer(consignment, plan, planner.timetable if planner else Timetable.of(session))
    if first or old_eta != found.eta:
        change = {
            "consignment_id": consignment.id,
            "at": now,
            "old_eta": old_eta,
            "new_eta": found.eta,
            "reason": reason.message,
            "params": reason.params,
        }
        if eta_changes is None:
            session.add(EtaChange(**change))
        else:
            eta_changes.append(change)
    if flush:
        session.flush()
    return plan


def insert_eta_changes(session: Session, changes: list[dict[str, Any]]) -> None:
    """Write ETA changes gathered by :func:`replan` in one statement (the ORM would insert them
    one by one to learn ids nobody needs)."""
    if changes:
        session.connection().execute(insert(EtaChange.__table__), changes)


def mark_transfer(consignment: Consignment, plan: RoutePlan, tt: Timetable) -> None:
    """Tell the consignment where the ride it is on (or waits for) ends to change bus, and
    which leg follows, so that the unload there is logged as the planned transfer it is."""
    ahead = sorted(
        (leg for leg in plan.legs if leg.status in (LegStatus.LOADED, LegStatus.PLANNED)),
        key=lambda leg: leg.seq,
    )
    if len(ahead) < 2 or ahead[0].leg != ahead[1].leg:
        consignment.transfer_campus_id = None
        consignment.transfer_next = ""
        return
    ride, following = ahead[0], ahead[1]
    consignment.transfer_campus_id = tt.stops[ride.alight_stop_id].campus_id
    trips = {trip.id: trip.code for trip in tt.trips}
    # A connection on another day than the arrival at the hub, or than today, says which day.
    leaves = _hhmm(following.departs_at)
    if {_day(ride.arrives_at), _day(plan.updated_at)} != {_day(following.departs_at)}:
        leaves = f"{following.departs_at.astimezone(SHANGHAI):%m-%d} {leaves}"
    consignment.transfer_next = (
        f"{trips.get(following.trip_id, '?')} {leaves} "
        f"{tt.stops[following.board_stop_id].code} → {tt.stops[following.alight_stop_id].code}"
    )


def _missed(plan: RoutePlan, found: Outlook, now: dt.datetime) -> Reason:
    gone = [
        leg
        for leg in plan.legs
        if leg.status in (LegStatus.PLANNED, LegStatus.MISSED) and leg.departs_at < now
    ]
    still = {(r.trip_id, r.service_date) for r in (found.route.rides if found.route else [])}
    for leg in gone:
        if (leg.trip_id, leg.service_date) not in still:
            return Reason(N_("Missed the %(time)s shuttle."), {"time": _hhmm(leg.departs_at)})
    return Reason(N_("Re-planned from where it is now."), {})


def history(session: Session, consignment_id: int) -> list[EtaChange]:
    """The consignment's ETA changes, oldest first."""
    settle_hops(session)
    return list(
        session.scalars(
            select(EtaChange)
            .where(EtaChange.consignment_id == consignment_id)
            .order_by(EtaChange.at, EtaChange.id)
        )
    )

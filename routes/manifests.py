"""Departure manifests: built shortly before a departure, closed after it.

A manifest lists, for one trip on one service date, which envelopes to collect from which drop
box, which to load at which stop and where to unload them. Scans tick items off. After the
departure, every envelope planned on it but not loaded is marked missed (a custody event from
the system), re-planned, and reported to the hub it should have left from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import case, insert, select, update
from sqlalchemy.orm import Session, selectinload

from core import clock
from core.errors import N_
from courier.custody import EventInput, record_event
from courier.models import Consignment, Source
from courier.states import Kind, State
from routes.bus_box import flag_unseen_loads
from routes.models import (
    LegStatus,
    Manifest,
    ManifestAction,
    ManifestItem,
    MissedReport,
    PlanLeg,
    RoutePlan,
    Stop,
)
from routes.network import Timetable, local_midnight
from routes.planner import Planner
from routes.plans import Reason, plan_of, replan, settle_hops

#: How long before a departure its manifest is built.
BUILD_AHEAD = dt.timedelta(minutes=45)
#: How long after a planned load the envelope counts as missed (buses wait a little).
MISSED_AFTER = dt.timedelta(minutes=10)
#: Scans that tick off each action.
TICKS = {
    Kind.COLLECTED: ManifestAction.COLLECT,
    Kind.LOADED: ManifestAction.LOAD,
    Kind.UNLOADED: ManifestAction.UNLOAD,
    Kind.TRANSFERRED: ManifestAction.UNLOAD,
}


def departures(
    session: Session, first: dt.datetime, last: dt.datetime
) -> list[tuple[int, dt.date, dt.datetime]]:
    """``(trip, service date, departure)`` of every trip leaving between ``first`` and ``last``."""
    planner = Planner(session)
    found = []
    day = first.astimezone(clock.SHANGHAI).date()
    end = last.astimezone(clock.SHANGHAI).date()
    calendar = planner.calendar(day, (end - day).days + 1)
    while day <= end:
        for trip in planner.timetable.trips_on(day, calendar):
            leaves = local_midnight(day) + dt.timedelta(minutes=trip.calls[0][2])
            if first <= leaves <= last:
                found.append((trip.id, day, leaves.astimezone(dt.UTC)))
        day += dt.timedelta(days=1)
    return sorted(found, key=lambda d: d[2])


def build_manifest(
    session: Session, trip_id: int, service_date: dt.date, departs_at: dt.datetime
) -> Manifest:
    """Make (or top up) the manifest of one departure from the plans that ride it."""
    settle_hops(session)
    manifest = session.scalar(
        select(Manifest)
        .where(Manifest.trip_id == trip_id, Manifest.service_date == service_date)
        .options(selectinload(Manifest.items))
    )
    if manifest is None:
        manifest = Manifest(
            trip_id=trip_id, service_date=service_date, departs_at=departs_at, built_at=clock.now()
        )
        session.add(manifest)
        session.flush()
    present = {(item.consignment_id, item.action) for item in manifest.items}
    # Plain columns, not entities: a busy departure carries thousands of envelopes.
    rows = session.execute(
        select(
            PlanLeg.seq,
            PlanLeg.status,
            PlanLeg.board_stop_id,
            PlanLeg.alight_stop_id,
            PlanLeg.departs_at,
            PlanLeg.arrives_at,
            RoutePlan.consignment_id,
            RoutePlan.collect_location_id,
            RoutePlan.collect_at,
            Consignment.tracking_code,
            Consignment.state,
        )
        .join(RoutePlan, PlanLeg.plan_id == RoutePlan.id)
        .join(Consignment, RoutePlan.consignment_id == Consignment.id)
        .where(
            PlanLeg.trip_id == trip_id,
            PlanLeg.service_date == service_date,
            PlanLeg.status.in_([LegStatus.PLANNED, LegStatus.LOADED]),
        )
        .order_by(PlanLeg.departs_at, Consignment.tracking_code)
    ).all()
    stops = Timetable.of(session).stops
    now = clock.now()
    items = []
    for row in rows:
        wanted = []
        if (
            row.collect_location_id
            and row.seq == 0
            and row.state in (State.CREATED, State.DEPOSITED)
        ):
            wanted.append(
                (
                    ManifestAction.COLLECT,
                    row.collect_location_id,
                    row.collect_at or row.departs_at,
                    None,
                )
            )
        loaded = now if row.status == LegStatus.LOADED else None
        wanted.append(
            (ManifestAction.LOAD, stops[row.board_stop_id].location_id, row.departs_at, loaded)
        )
        wanted.append(
            (ManifestAction.UNLOAD, stops[row.alight_stop_id].location_id, row.arrives_at, None)
        )
        for action, location_id, due, done in wanted:
            if (row.consignment_id, action) in present:
                continue
            present.add((row.consignment_id, action))
            items.append(
                {
                    "manifest_id": manifest.id,
                    "consignment_id": row.consignment_id,
                    "tracking_code": row.tracking_code,
                    "action": action,
                    "location_id": location_id,
                    "due_at": due,
                    "done_at": done,
                    "missed": False,
                }
            )
    if items:
        session.execute(insert(ManifestItem), items)
        session.expire(manifest, ["items"])
    return manifest


def build_due(session: Session, now: dt.datetime | None = None) -> list[Manifest]:
    """Build the manifests of the departures leaving within :data:`BUILD_AHEAD`."""
    now = now or clock.now()
    return [build_manifest(session, *d) for d in departures(session, now, now + BUILD_AHEAD)]


def tick(session: Session, hops: Iterable[tuple[int, Kind, dt.datetime, int | None]]) -> None:
    """Scans tick off one open item of that action per consignment, each item getting the time
    of its own scan: the item at the scan's place if there is one, else the earliest due. So
    the unload at a change of bus ticks that ride's unload, not the next ride's one further on.
    """
    groups: dict[ManifestAction, dict[int, tuple[dt.datetime, int | None]]] = {}
    for consignment_id, kind, at, location_id in hops:
        action = TICKS.get(kind)
        if action is not None:
            groups.setdefault(action, {})[consignment_id] = (at, location_id)
    open_manifests = select(Manifest.id).where(Manifest.closed_at.is_(None))
    for action, scans in groups.items():
        rows = session.execute(
            select(
                ManifestItem.id,
                ManifestItem.consignment_id,
                ManifestItem.location_id,
                ManifestItem.due_at,
            ).where(
                ManifestItem.consignment_id.in_(scans),
                ManifestItem.action == action,
                ManifestItem.done_at.is_(None),
                ManifestItem.manifest_id.in_(open_manifests),
            )
        )
        best: dict[int, tuple[bool, dt.datetime, int]] = {}
        for item_id, consignment_id, location_id, due_at in rows:
            rank = (location_id != scans[consignment_id][1], due_at, item_id)
            if consignment_id not in best or rank < best[consignment_id]:
                best[consignment_id] = rank
        if not best:
            continue
        times = {consignment_id: scans[consignment_id][0] for consignment_id in best}
        session.execute(
            update(ManifestItem)
            .where(ManifestItem.id.in_([rank[2] for rank in best.values()]))
            .values(done_at=case(times, value=ManifestItem.consignment_id))
            # Pages read manifests in later requests; nothing here holds the items in memory.
            .execution_options(synchronize_session=False)
        )


def close_departed(session: Session, now: dt.datetime | None = None) -> list[MissedReport]:
    """Mark loads that did not happen as missed, re-plan them and report them to the hub;
    close manifests whose every item is past."""
    now = now or clock.now()
    settle_hops(session)
    reports = []
    for manifest in session.scalars(
        select(Manifest)
        .where(Manifest.closed_at.is_(None), Manifest.departs_at < now - MISSED_AFTER)
        .options(selectinload(Manifest.items))
    ):
        for item in manifest.items:
            if (
                item.action == ManifestAction.LOAD
                and item.done_at is None
                and not item.missed
                and item.due_at < now - MISSED_AFTER
            ):
                report = _missed(session, manifest, item, now)
                if report is not None:
                    reports.append(report)
        if all(item.due_at < now for item in manifest.items):
            manifest.closed_at = now
    session.flush()
    return reports


def _missed(
    session: Session, manifest: Manifest, item: ManifestItem, now: dt.datetime
) -> MissedReport | None:
    item.missed = True
    consignment = session.get(Consignment, item.consignment_id)
    if consignment is None:
        return None
    legs = session.scalars(
        select(PlanLeg)
        .join(RoutePlan)
        .where(
            RoutePlan.consignment_id == consignment.id,
            PlanLeg.trip_id == manifest.trip_id,
            PlanLeg.service_date == manifest.service_date,
            PlanLeg.status == LegStatus.PLANNED,
        )
    ).all()
    for leg in legs:
        leg.status = LegStatus.MISSED
    session.flush()
    time = manifest.departs_at.astimezone(clock.SHANGHAI).strftime("%H:%M")
    if consignment.state in (State.CREATED,):
        # Never handed in: nothing was missed at the stop, the plan simply moves on.
        replan(
            session,
            consignment,
            Reason(N_("Not handed in in time for the %(time)s shuttle."), {"time": time}),
            now,
        )
        return None
    stop = session.scalar(select(Stop).where(Stop.location_id == item.location_id))
    outcome = record_event(
        session,
        consignment,
        EventInput(
            kind=Kind.MISSED,
            idempotency_key=f"missed:{manifest.id}:{consignment.id}",
            source=Source.SYSTEM,
            device_at=now,
            location=stop.location if stop else None,
            notes=f"{manifest.trip.code} {time}",
        ),
    )
    if not outcome.ok or outcome.duplicate:
        # The state machine records no MISSED here (not yet collected, say): re-plan anyway.
        replan(
            session, consignment, Reason(N_("Missed the %(time)s shuttle."), {"time": time}), now
        )
    plan = plan_of(session, consignment.id)
    if stop is None:
        return None
    report = MissedReport(
        stop_id=stop.id,
        consignment_id=consignment.id,
        tracking_code=consignment.tracking_code,
        trip_id=manifest.trip_id,
        departs_at=manifest.departs_at,
        new_eta=plan.eta if plan else None,
        reported_at=now,
    )
    session.add(report)
    return report


def run(session: Session) -> dict[str, int]:
    """The scheduled job: close what left, flag loads the bus box did not see, then build
    what leaves soon."""
    now = clock.now()
    missed = close_departed(session, now)
    unseen = flag_unseen_loads(session, now)
    built = build_due(session, now)
    return {"built": len(built), "missed": len(missed), "not_seen_in_box": len(unseen)}


def reports_at(session: Session, stop_ids: Iterable[int], limit: int = 100) -> list[MissedReport]:
    return list(
        session.scalars(
            select(MissedReport)
            .where(MissedReport.stop_id.in_(list(stop_ids)))
            .order_by(MissedReport.reported_at.desc())
            .limit(limit)
        )
    )

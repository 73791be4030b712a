"""Routes' reactions to domain events; entry points call :func:`wire` once at start-up."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.errors import N_
from core.events import subscribe
from courier.events import HopRecorded
from courier.models import Consignment
from courier.states import Kind
from routes import manifests
from routes.models import LegStatus
from routes.plans import Reason, plan_of, replan

#: Reasons for hops that change the plan by design rather than by accident.
REASONS = {
    Kind.RESULT_READY: Reason(N_("The result is ready: the way back is planned."), {}),
    Kind.RETURNED_TO_SENDER: Reason(N_("Returned to the sender: the way back is planned."), {}),
    Kind.MISROUTED: Reason(N_("Misrouted: re-planned from where it is."), {}),
}


def on_hop(session: Session, event: HopRecorded) -> None:
    """After every hop: tick the manifests, move the plan's legs on and re-plan the rest."""
    if event.late:
        return
    kind = Kind(event.kind)
    consignment = session.get(Consignment, event.consignment_id)
    if consignment is None:
        return
    manifests.tick(session, consignment.id, kind, event.at)
    plan = plan_of(session, consignment.id)
    if plan is not None:
        pending = [leg for leg in plan.legs if leg.status == LegStatus.PLANNED]
        riding = [leg for leg in plan.legs if leg.status == LegStatus.LOADED]
        if kind is Kind.LOADED and pending:
            pending[0].status = LegStatus.LOADED
        elif kind is Kind.UNLOADED:
            for leg in riding:
                leg.status = LegStatus.DONE
    replan(session, consignment, REASONS.get(kind), event.at)


def wire() -> None:
    subscribe(HopRecorded, on_hop)

"""补正 without a trip: missing materials asked for once, sent back in a supplement envelope.

The first request lists everything missing or wrong; asking again needs an administrator and a
reason, whether from the desk page or the API. Each request comes with a supplement consignment
linked to the original: the submitter prints its label (from the page the notice links to),
drops it like any envelope, and its arrival at the desk resumes the original's clock
(:func:`courier.agents.supplement_arrived`).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.errors import N_, Forbidden, Problem, ValidationFailed
from core.users import Role, User
from courier import agents
from courier.consignments import NewConsignment, create_consignment
from courier.custody import find_event
from courier.models import Consignment, MaterialsRequest
from courier.states import Kind
from routes.plans import replan
from services.ownership import claim


def request_materials(
    session: Session,
    user: User,
    consignment: Consignment,
    missing: list[str],
    other: str,
    key: str,
    *,
    reason: str = "",
    label_key: str,
    base_url: str,
) -> MaterialsRequest:
    """Ask the submitter for the materials and give them a supplement label to send them with.

    ``base_url`` makes the link in the notice (the supplement's public page, where its label is
    printed).
    """
    claim(session, user, consignment, Kind.MATERIALS_REQUESTED)
    if find_event(session, key) is not None:
        # The same form sent twice: the first answer stands.
        return agents.request_materials(session, consignment, user, missing, other, key)
    if agents.materials_requests(session, consignment):
        if not user.has_role(Role.ADMIN):
            raise Forbidden(
                "asked_once",
                N_(
                    "Missing materials are asked for once, with the whole list; only an "
                    "administrator can ask again."
                ),
            )
        if not reason.strip():
            raise ValidationFailed(
                [Problem("reason", N_("Say why the materials are asked again."))]
            )
    supplement = _supplement(session, consignment, label_key)
    return agents.request_materials(
        session,
        consignment,
        user,
        missing,
        other,
        key,
        reason=reason,
        supplement=supplement,
        supplement_url=f"{base_url.rstrip('/')}/consignments/{supplement.tracking_code}",
    )


def _supplement(session: Session, original: Consignment, label_key: str) -> Consignment:
    """A new envelope from the submitter's campus to the original's department, linked to it."""
    supplement = create_consignment(
        session,
        original.submitter,
        NewConsignment(
            service_item=original.service_item.code,
            origin_campus=original.origin_campus.code,
            pickup_campus=original.pickup_campus.code,
        ),
        label_key,
    )
    supplement.supplement_of_id = original.id
    # The papers join the original's file: its clock is the one that counts.
    supplement.sla_phase = "done"
    supplement.department_id = original.department_id
    session.flush()
    replan(session, supplement)
    return supplement

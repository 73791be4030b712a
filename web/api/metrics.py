"""``GET /api/metrics``: the counters a monitor alerts on (admin only)."""

from __future__ import annotations

from typing import Any

from core.users import Role
from services import metrics as collected
from web.api import api
from web.api.schemas.consignments import Metrics
from web.api.typed import operation, shaped_answer
from web.auth import roles_required
from web.db import db


@api.get("/metrics")
@roles_required(Role.ADMIN)
@operation(
    "Counters for a monitor: dead letters by reason, open gaps, the oldest unacknowledged "
    "event's age, notices by status, forged codes, scans (admin)",
    answer=Metrics,
)
def metrics() -> Any:
    """Dead letters by reason, open gaps, the oldest unacknowledged event's age, notices by
    status, refused codes and scans."""
    return shaped_answer(Metrics, **collected.collect(db()))

"""What a monitor watches: counters across the bridge, the scans and the notices outbox."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import clock, codes
from core.outbox import OutboxMessage
from courier.models import ScanRecord
from firmware_bridge.models import ControllerSequence, DeadLetter, DeviceEvent

#: Numbers and quoted values vary from letter to letter; the reason's kind is what is left.
_VARYING = re.compile(r"'[^']*'|\b\d[\w.:+-]*")


def reason_kind(reason: str) -> str:
    """``"seq 7 reused with different content"`` → ``"seq N reused with different content"``."""
    return _VARYING.sub("N", reason)


def collect(session: Session, now: dt.datetime | None = None) -> dict[str, Any]:
    """Every counter of ``GET /api/metrics``, read in one transaction."""
    now = now or clock.now()
    scans = session.scalar(select(func.count()).select_from(ScanRecord)) or 0
    forged = session.scalar(
        select(func.count()).select_from(ScanRecord).where(ScanRecord.reason_code == "forged")
    )
    by_reason: Counter[str] = Counter()
    for reason, count in session.execute(
        select(DeadLetter.reason, func.count()).group_by(DeadLetter.reason)
    ):
        by_reason[reason_kind(reason)] += count
    open_gaps = session.scalar(
        select(func.count())
        .select_from(ControllerSequence)
        .where(ControllerSequence.highest > ControllerSequence.contiguous)
    )
    # Stored but not applied: waiting behind a gap, so not yet covered by an evt/ack.
    oldest = session.scalar(
        select(func.min(DeviceEvent.received_at)).where(DeviceEvent.applied.is_(False))
    )
    notices = {
        str(status): count
        for status, count in session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        )
    }
    return {
        "forged_codes_since_start": codes.forged_codes.value,
        "forged_scans_total": forged or 0,
        "scans_total": scans,
        "dead_letters_total": sum(by_reason.values()),
        "dead_letters_by_reason": dict(by_reason.most_common()),
        "open_gaps": open_gaps or 0,
        "oldest_unacked_event_age_seconds": (
            round((now - oldest).total_seconds(), 1) if oldest is not None else 0
        ),
        "notices_by_status": notices,
    }

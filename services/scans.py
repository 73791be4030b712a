"""A courier's batch of scans, answered scan by scan."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.users import User
from courier.scans import Scan, ScanResult, process_scans


def answer_scans(
    session: Session, courier: User, scans: list[Scan], label_key: str
) -> list[ScanResult]:
    """Record each scan (custody, then through the bus: plans, manifests, receipts) and say
    how it went; a repeated scan id answers its first result."""
    return process_scans(session, courier, scans, label_key)

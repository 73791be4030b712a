"""Signed links to one appointment: how a visitor manages it from the notice, without a login.

A link names the booking's row, signed with the server's code key; nobody can guess another
booking's link from their own. What the link may still do (cancel, rebook) depends on the
booking's state, so a spent booking's link only shows what became of it.
"""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy.orm import Session

from core.codes import code_key
from tickets.models import Booking


def _signature(key: str, booking_id: int) -> str:
    message = f"booking-link:{booking_id}".encode()
    # 80 bits: a link is tried online against one booking only, and must fit in an SMS.
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()[:20]


def link_token(session: Session, booking: Booking) -> str:
    """The token of ``booking``'s link."""
    return f"{booking.id}-{_signature(code_key(session), booking.id)}"


def booking_for_token(session: Session, token: str) -> Booking | None:
    """The booking ``token`` names, or ``None`` for a forged one."""
    ident, _, signature = token.partition("-")
    if not ident.isdigit() or len(ident) > 12:
        return None
    if not hmac.compare_digest(_signature(code_key(session), int(ident)), signature):
        return None
    return session.get(Booking, int(ident))

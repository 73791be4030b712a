"""Signed, expiring links to one pickup: how a recipient without an account sees their code.

A link names the pickup code's row and its expiry, signed with the server's code key; it stops
working when the code expires, is used or is replaced.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from sqlalchemy.orm import Session

from core import clock
from core.codes import code_key
from lockers.models import PickupCode


def _signature(key: str, code_id: int, expires: int) -> str:
    message = f"pickup-link:{code_id}:{expires}".encode()
    # 64 bits: a link is tried online against one code only, and must fit in an SMS.
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()[:16]


def _is_hex(text: str) -> bool:
    return 0 < len(text) <= 12 and all(c in "0123456789abcdef" for c in text)


def link_token(session: Session, code: PickupCode) -> str:
    """The token of ``code``'s link: valid as long as the code is."""
    expires = int(code.valid_until.timestamp())
    return f"{code.id}-{expires:x}-{_signature(code_key(session), code.id, expires)}"


def code_for_token(session: Session, token: str) -> PickupCode | None:
    """The live pickup code ``token`` names, or ``None`` for a forged, expired or spent link."""
    parts = token.split("-")
    if len(parts) != 3 or not parts[0].isdigit() or not _is_hex(parts[1]):
        return None
    code_id, expires = int(parts[0]), int(parts[1], 16)
    if not hmac.compare_digest(_signature(code_key(session), code_id, expires), parts[2]):
        return None
    if dt.datetime.fromtimestamp(expires, dt.UTC) <= clock.now():
        return None
    code = session.get(PickupCode, code_id)
    if code is None or code.used_at is not None or code.revoked_at is not None:
        return None
    return code

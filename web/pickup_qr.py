"""QR symbols for pages: a pickup code that a locker's scanner reads like the typed code, or the
address of a hall ticket that a visitor follows on their phone."""

from __future__ import annotations

import base64
import io

import qrcode


def code_qr_src(digits: str) -> str:
    """The QR symbol of ``digits`` as a PNG ``data:`` address for an ``<img>``."""
    return qr_src(digits)


def qr_src(text: str, box_size: int = 8) -> str:
    """The QR symbol of ``text`` (a code, an address) as a PNG ``data:`` address."""
    image = qrcode.make(text, box_size=box_size, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")

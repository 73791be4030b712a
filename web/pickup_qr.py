"""A pickup code as a QR symbol that a locker's scanner reads like the typed code."""

from __future__ import annotations

import base64
import io

import qrcode


def code_qr_src(digits: str) -> str:
    """The QR symbol of ``digits`` as a PNG ``data:`` address for an ``<img>``."""
    image = qrcode.make(digits, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")

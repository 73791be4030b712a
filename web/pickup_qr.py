"""A pickup code as a QR symbol (inline SVG) that a locker's scanner reads like the typed code."""

from __future__ import annotations

import qrcode
from markupsafe import Markup
from qrcode.image.svg import SvgPathImage


def code_svg(digits: str) -> Markup:
    """The QR symbol of ``digits`` as an SVG element to put in a page."""
    image = qrcode.make(digits, image_factory=SvgPathImage, box_size=8, border=2)
    # The SVG is built by qrcode from digits alone: nothing a visitor typed reaches it.
    return Markup(image.to_string(encoding="unicode"))

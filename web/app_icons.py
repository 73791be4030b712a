"""The courier app's home-screen icon, drawn here so no binary image lives in the repository."""

from __future__ import annotations

import io
from functools import cache

from PIL import Image, ImageDraw

#: The sizes a web app manifest needs: 192 for the home screen, 512 for the splash screen.
ICON_SIZES = (192, 512)
BRAND = (11, 110, 79)
PAPER = (255, 255, 255)


@cache
def app_icon(size: int) -> bytes:
    """A PNG of ``size`` pixels square: a white envelope on the brand green, drawn inside the
    middle 60% so a launcher's round or squircle mask (a "maskable" icon) never cuts it."""
    image = Image.new("RGB", (size, size), BRAND)
    draw = ImageDraw.Draw(image)
    unit = size / 100
    left, top, right, bottom = 22 * unit, 32 * unit, 78 * unit, 68 * unit
    line = max(2, round(4 * unit))
    draw.rounded_rectangle((left, top, right, bottom), radius=4 * unit, fill=PAPER)
    draw.line(
        [(left + line, top + line), (size / 2, 52 * unit), (right - line, top + line)],
        fill=BRAND,
        width=line,
        joint="curve",
    )
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()

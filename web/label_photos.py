"""Codes read from a camera photo of a label, decoded on the server (the courier's scan page,
the drop box's screen)."""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image, ImageOps

from courier.photos import check_photo


def decode_photo(data: bytes) -> list[str]:
    """The texts of the codes in a photo, QR first; an unreadable file is refused clearly."""
    check_photo(data)
    image = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    image.thumbnail((2000, 2000))
    found = zxingcpp.read_barcodes(image)
    return [r.text for r in sorted(found, key=lambda r: r.format != zxingcpp.BarcodeFormat.QRCode)]

"""Labels skip qrcode's search for the best mask, which is only safe if every mask reads back:
each of the eight, for many codes, by two independent decoders, as a phone camera and a JPEG
would see the label."""

import io
import os

import pytest
import zxingcpp
from PIL import Image, ImageFilter

from core import codes
from labels.render import DPI, draw_qr, mm

TEXTS = [f"https://courier.example.edu/t/{codes.new_code('mask')}" for _ in range(12)]
MASKS = range(8)


def label_sized_symbol(text: str, mask: int) -> Image.Image:
    """The QR part of a thermal label (27 mm at 203 dpi) with a quiet white margin."""
    size = mm(27, DPI)
    image = Image.new("1", (size + 40, size + 40), 1)
    draw_qr(image, text, 20, 20, size, mask)
    return image.convert("L")


def half_size_blurred(image: Image.Image) -> Image.Image:
    small = image.resize((image.width // 2, image.height // 2), Image.Resampling.LANCZOS)
    return small.filter(ImageFilter.GaussianBlur(radius=0.6))


def as_jpeg(image: Image.Image) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=40)
    return Image.open(io.BytesIO(buffer.getvalue()))


def zxing(image: Image.Image) -> set[str]:
    return {result.text for result in zxingcpp.read_barcodes(image)}


def zbar(image: Image.Image) -> set[str]:
    try:
        from pyzbar import pyzbar
    except ImportError:
        if os.environ.get("COURIER_REQUIRE_ZBAR") == "1":
            raise
        pytest.skip("zbar is not installed: apt-get install libzbar0")
    return {symbol.data.decode() for symbol in pyzbar.decode(image)}


@pytest.mark.parametrize("mask", MASKS)
@pytest.mark.parametrize("decoder", [zxing, zbar], ids=["zxing-cpp", "zbar"])
@pytest.mark.parametrize("seen", [half_size_blurred, as_jpeg], ids=["photo", "jpeg"])
def test_every_mask_reads_back_for_many_codes(mask, decoder, seen):
    unread = [text for text in TEXTS if decoder(seen(label_sized_symbol(text, mask))) != {text}]
    assert unread == []

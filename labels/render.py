"""Label layouts. Sizes are in printer dots; the thermal printers print 203 dots per inch."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import barcode
import qrcode
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

from labels.fonts import font

DPI = 203


def mm(length: float, dpi: int = DPI) -> int:
    return round(length / 25.4 * dpi)


@dataclass(frozen=True)
class LabelData:
    """What a label shows; every text is already in the language and format to print."""

    tracking_code: str  # the canonical code, carried by the Code128 symbol
    qr_text: str  # what the QR code carries: the public tracking URL
    grouped_code: str  # the code as people read it: 8KQ2-M9XR-7H2PQ
    department: str  # where the papers go
    route: str  # 南湖校区 → 西岭校区
    due: str  # 限 11-20 17:30 前办结
    item: str  # the service item
    urgent: bool = False


#: The QR mask every label uses. qrcode picks the mask by trying all eight and scoring each
#: with ISO 18004's penalty rules, which is most of a label's time; every mask decodes (the tests
#: read labels with each of them, also halved, blurred and as JPEG), so the search buys nothing
#: a reader needs.
QR_MASK = 2


def qr_modules(text: str, mask: int = QR_MASK) -> list[list[bool]]:
    """The QR symbol's modules, quiet zone included (error correction M: a smudge is fine)."""
    symbol = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, mask_pattern=mask
    )
    symbol.add_data(text)
    symbol.make(fit=True)
    return symbol.get_matrix()


@lru_cache(maxsize=4096)
def code128_modules(text: str) -> str:
    """The Code128 bars as a string of 1s (bar) and 0s (space), without quiet zones."""
    return barcode.get("code128", text).build()[0]


def draw_qr(
    image: Image.Image, text: str, left: int, top: int, size: int, mask: int = QR_MASK
) -> None:
    """Draw the QR symbol with whole-dot modules, as large as fits in ``size``."""
    matrix = qr_modules(text, mask)
    count = len(matrix)
    unit = max(1, size // count)
    pixels = bytes(0 if dark else 255 for row in matrix for dark in row)
    symbol = Image.frombytes("L", (count, count), pixels)
    image.paste(symbol.resize((count * unit, count * unit), Image.Resampling.NEAREST), (left, top))


def draw_code128(
    image: Image.Image, text: str, left: int, top: int, width: int, height: int
) -> None:
    """Draw Code128 centred in the box, with whole-dot bars and a ten-module quiet zone."""
    modules = code128_modules(text)
    unit = max(1, width // (len(modules) + 20))
    row = bytes(0 if bar == "1" else 255 for bar in modules)
    bars = Image.frombytes("L", (len(modules), 1), row)
    start = left + (width - len(modules) * unit) // 2
    image.paste(bars.resize((len(modules) * unit, height), Image.Resampling.NEAREST), (start, top))


@lru_cache(maxsize=65536)
def _advance(face: ImageFont.FreeTypeFont, char: str) -> float:
    return face.getlength(char)


def _wrap(text: str, face: ImageFont.FreeTypeFont, width: int, lines: int) -> list[str]:
    """Break ``text`` into at most ``lines`` lines of ``width`` dots (any character may break).

    Widths are summed per character (cached per font): Chinese has no kerning and a label's
    Latin text loses at most a dot or two to it.
    """
    result: list[str] = []
    current, used = "", 0.0
    for char in text:
        advance = _advance(face, char)
        if used + advance > width:
            result.append(current)
            current = char.lstrip()
            used = _advance(face, current) if current else 0.0
            if len(result) == lines:
                break
        else:
            current += char
            used += advance
    else:
        result.append(current)
    if len(result) > lines:
        result = result[:lines]
    if "".join(result) != text.replace("\n", "") and result:
        result[-1] = result[-1][:-1] + "…"
    return result


@lru_cache(maxsize=4096)
def _ink(face: ImageFont.FreeTypeFont, line: str) -> Image.Image:
    """The line's glyphs as a one-bit mask: a desk's labels repeat their department, item and
    route, and rendering Chinese glyphs is the dearest part of a label after the QR symbol."""
    _, _, right, bottom = face.getbbox(line)
    mask = Image.new("1", (max(1, int(right)), max(1, int(bottom))), 0)
    ImageDraw.Draw(mask).text((0, 0), line, font=face, fill=1)
    return mask


def _text_block(
    image: Image.Image,
    text: str,
    left: int,
    top: int,
    width: int,
    face: ImageFont.FreeTypeFont,
    lines: int = 1,
) -> int:
    """Write wrapped text; returns the y below it."""
    for line in _wrap(text, face, width, lines):
        if line:
            image.paste(0, (left, top), _ink(face, line))
        top += round(face.size * 1.25)
    return top


def _png(image: Image.Image, dpi: int = DPI) -> bytes:
    buffer = io.BytesIO()
    # One bit a dot (a label has no grey), and fast deflate: the file is small either way.
    image.save(buffer, format="PNG", dpi=(dpi, dpi), compress_level=1)
    return buffer.getvalue()


def thermal_image(label: LabelData, dpi: int = DPI, font_file: str | None = None) -> Image.Image:
    """The 60x40 mm label for thermal printers: QR left, text right, Code128 below.

    ``dpi`` above the printer's 203 gives sharper labels for sheets printed on office printers;
    ``font_file`` names a font with Chinese glyphs (by default one found on the system).
    """
    k = dpi / DPI

    def at(length: float) -> int:
        return mm(length, dpi)

    def face(points: int) -> ImageFont.FreeTypeFont:
        return font(round(points * k), font_file)

    width, height = at(60), at(40)
    image = Image.new("1", (width, height), 1)
    draw = ImageDraw.Draw(image)
    qr_size = at(27)
    draw_qr(image, label.qr_text, 0, 0, qr_size)
    left, text_width = qr_size + at(1), width - qr_size - at(2)
    y = at(1.5)
    if label.urgent:
        y = _text_block(image, "【加急】", left, y, text_width, face(20))
    y = _text_block(image, label.department, left, y, text_width, face(24), lines=2)
    y = _text_block(image, label.route, left, y + round(2 * k), text_width, face(17))
    y = _text_block(image, label.due, left, y, text_width, face(17))
    _text_block(image, label.item, left, y, text_width, face(15), lines=2)
    draw_code128(image, label.tracking_code, 0, at(28), width, at(7.5))
    code_font = face(20)
    code_width = draw.textlength(label.grouped_code, font=code_font)
    draw.text(((width - code_width) / 2, at(35.8)), label.grouped_code, font=code_font, fill=0)
    return image


def thermal_png(label: LabelData, font_file: str | None = None) -> bytes:
    """The thermal label as PNG (see :func:`thermal_image`)."""
    return _png(thermal_image(label, font_file=font_file))


def a6_png(label: LabelData, font_file: str | None = None) -> bytes:
    """The 100x150 mm label: large QR, destination and route in large type, Code128."""

    def face(size: int) -> ImageFont.FreeTypeFont:
        return font(size, font_file)

    width, height = mm(100), mm(150)
    image = Image.new("1", (width, height), 1)
    draw = ImageDraw.Draw(image)
    margin = mm(5)
    inner = width - 2 * margin
    y = _text_block(image, "校园专递 · 跨校区代办", margin, margin, inner, face(30))
    if label.urgent:
        y = _text_block(image, "【加急】", margin, y, inner, face(40))
    y = _text_block(image, label.department, margin, y + mm(2), inner, face(56), lines=2)
    y = _text_block(image, label.route, margin, y + mm(1), inner, face(36))
    y = _text_block(image, label.due, margin, y, inner, face(36))
    y = _text_block(image, label.item, margin, y + mm(1), inner, face(30), lines=2)
    qr_size = mm(62)
    draw_qr(image, label.qr_text, (width - qr_size) // 2, y + mm(3), qr_size)
    draw_code128(image, label.tracking_code, margin, height - mm(33), inner, mm(16))
    code_font = face(48)
    text_width = draw.textlength(label.grouped_code, font=code_font)
    draw.text(
        ((width - text_width) / 2, height - mm(15)), label.grouped_code, font=code_font, fill=0
    )
    return _png(image)


SHEET_COLUMNS, SHEET_ROWS = 3, 6
#: Sheets go to office printers; twice the thermal resolution keeps the bars crisp.
SHEET_DPI = 2 * DPI
SHEET_MARGIN_X, SHEET_MARGIN_Y, SHEET_GAP_X, SHEET_GAP_Y = 10.0, 16.5, 5.0, 4.0


def sheet_pdf(labels: Sequence[LabelData], font_file: str | None = None) -> bytes:
    """An A4 PDF of 60x40 mm labels, 18 a page, with faint cut lines."""
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_creator("campus-courier")
    pdf.set_draw_color(200, 200, 200)
    per_page = SHEET_COLUMNS * SHEET_ROWS
    for index, label in enumerate(labels):
        if index % per_page == 0:
            pdf.add_page()
        slot = index % per_page
        x = SHEET_MARGIN_X + (slot % SHEET_COLUMNS) * (60 + SHEET_GAP_X)
        y = SHEET_MARGIN_Y + (slot // SHEET_COLUMNS) * (40 + SHEET_GAP_Y)
        pdf.image(
            io.BytesIO(_png(thermal_image(label, SHEET_DPI, font_file), SHEET_DPI)),
            x=x,
            y=y,
            w=60,
            h=40,
        )
        pdf.rect(x, y, 60, 40)
    if not labels:
        pdf.add_page()
    return bytes(pdf.output())

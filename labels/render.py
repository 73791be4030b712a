"""Label layouts. Sizes are in printer dots; the thermal printers print 203 dots per inch."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

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


def qr_modules(text: str) -> list[list[bool]]:
    """The QR symbol's modules, quiet zone included (error correction M: a smudge is fine)."""
    symbol = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    symbol.add_data(text)
    symbol.make(fit=True)
    return symbol.get_matrix()


def code128_modules(text: str) -> str:
    """The Code128 bars as a string of 1s (bar) and 0s (space), without quiet zones."""
    return barcode.get("code128", text).build()[0]


def draw_qr(draw: ImageDraw.ImageDraw, text: str, left: int, top: int, size: int) -> None:
    """Draw the QR symbol with whole-dot modules, as large as fits in ``size``."""
    matrix = qr_modules(text)
    unit = max(1, size // len(matrix))
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                draw.rectangle(
                    (
                        left + x * unit,
                        top + y * unit,
                        left + (x + 1) * unit - 1,
                        top + (y + 1) * unit - 1,
                    ),
                    fill=0,
                )


def draw_code128(
    draw: ImageDraw.ImageDraw, text: str, left: int, top: int, width: int, height: int
) -> None:
    """Draw Code128 centred in the box, with whole-dot bars and a ten-module quiet zone."""
    modules = code128_modules(text)
    unit = max(1, width // (len(modules) + 20))
    start = left + (width - len(modules) * unit) // 2
    for index, bar in enumerate(modules):
        if bar == "1":
            x = start + index * unit
            draw.rectangle((x, top, x + unit - 1, top + height - 1), fill=0)


def _wrap(
    draw: ImageDraw.ImageDraw, text: str, face: ImageFont.FreeTypeFont, width: int, lines: int
) -> list[str]:
    """Break ``text`` into at most ``lines`` lines of ``width`` dots (any character may break)."""
    result: list[str] = []
    current = ""
    for char in text:
        if draw.textlength(current + char, font=face) > width:
            result.append(current)
            current = char.lstrip()
            if len(result) == lines:
                break
        else:
            current += char
    else:
        result.append(current)
    if len(result) > lines:
        result = result[:lines]
    if "".join(result) != text.replace("\n", "") and result:
        result[-1] = result[-1][:-1] + "…"
    return result


def _text_block(
    draw: ImageDraw.ImageDraw,
    text: str,
    left: int,
    top: int,
    width: int,
    face: ImageFont.FreeTypeFont,
    lines: int = 1,
) -> int:
    """Write wrapped text; returns the y below it."""
    for line in _wrap(draw, text, face, width, lines):
        draw.text((left, top), line, font=face, fill=0)
        top += round(face.size * 1.25)
    return top


def _png(image: Image.Image, dpi: int = DPI) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(dpi, dpi))
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
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    qr_size = at(27)
    draw_qr(draw, label.qr_text, 0, 0, qr_size)
    left, text_width = qr_size + at(1), width - qr_size - at(2)
    y = at(1.5)
    if label.urgent:
        y = _text_block(draw, "【加急】", left, y, text_width, face(20))
    y = _text_block(draw, label.department, left, y, text_width, face(24), lines=2)
    y = _text_block(draw, label.route, left, y + round(2 * k), text_width, face(17))
    y = _text_block(draw, label.due, left, y, text_width, face(17))
    _text_block(draw, label.item, left, y, text_width, face(15), lines=2)
    draw_code128(draw, label.tracking_code, 0, at(28), width, at(7.5))
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
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    margin = mm(5)
    inner = width - 2 * margin
    y = _text_block(draw, "校园专递 · 跨校区代办", margin, margin, inner, face(30))
    if label.urgent:
        y = _text_block(draw, "【加急】", margin, y, inner, face(40))
    y = _text_block(draw, label.department, margin, y + mm(2), inner, face(56), lines=2)
    y = _text_block(draw, label.route, margin, y + mm(1), inner, face(36))
    y = _text_block(draw, label.due, margin, y, inner, face(36))
    y = _text_block(draw, label.item, margin, y + mm(1), inner, face(30), lines=2)
    qr_size = mm(62)
    draw_qr(draw, label.qr_text, (width - qr_size) // 2, y + mm(3), qr_size)
    draw_code128(draw, label.tracking_code, margin, height - mm(33), inner, mm(16))
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

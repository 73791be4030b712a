"""Every label format decodes back to its code, also as a phone camera would see it."""

import io

import pypdfium2
import pytest
import zxingcpp
from PIL import Image, ImageFilter

from labels.render import LabelData, a6_png, sheet_pdf, thermal_png

LABEL = LabelData(
    tracking_code="8KQ2M9XR7H2PQ",
    qr_text="https://courier.example.edu/t/8KQ2M9XR7H2PQ",
    grouped_code="8KQ2-M9XR-7H2PQ",
    department="教务处（学籍管理科）",
    route="南湖 → 西岭 → 南湖",
    due="限 11-20 17:30 前办结",
    item="中文成绩单开具",
    urgent=True,
)


def decoded(image):
    return {(result.format.name, result.text) for result in zxingcpp.read_barcodes(image)}


def as_phone_sees_it(image):
    """Half size and blurred, in grey as a camera sees paper (labels are one bit a dot)."""
    image = image.convert("L")
    small = image.resize((image.width // 2, image.height // 2), Image.Resampling.LANCZOS)
    return small.filter(ImageFilter.GaussianBlur(radius=0.6))


EXPECTED = {("QRCode", LABEL.qr_text), ("Code128", LABEL.tracking_code)}


@pytest.mark.parametrize("render", [thermal_png, a6_png], ids=["thermal", "a6"])
def test_a_png_label_decodes_to_its_qr_url_and_code(render):
    assert decoded(Image.open(io.BytesIO(render(LABEL)))) == EXPECTED


@pytest.mark.parametrize("render", [thermal_png, a6_png], ids=["thermal", "a6"])
def test_a_png_label_decodes_after_a_half_size_blurred_photo(render):
    assert decoded(as_phone_sees_it(Image.open(io.BytesIO(render(LABEL))))) == EXPECTED


def test_the_thermal_label_is_60_by_40_mm_at_203_dpi():
    image = Image.open(io.BytesIO(thermal_png(LABEL)))
    assert image.size == (480, 320)
    assert round(image.info["dpi"][0]) == 203


def test_the_a6_label_is_100_by_150_mm():
    assert Image.open(io.BytesIO(a6_png(LABEL))).size == (799, 1199)


def render_pdf(data, scale):
    document = pypdfium2.PdfDocument(data)
    try:
        return [page.render(scale=scale).to_pil() for page in document]
    finally:
        document.close()


def test_a_sheet_holds_eighteen_labels_a_page_and_each_decodes():
    labels = [
        LabelData(**{**LABEL.__dict__, "tracking_code": f"CODE{n:09d}", "qr_text": f"q{n}"})
        for n in range(20)
    ]
    pages = render_pdf(sheet_pdf(labels), scale=203 / 72)
    assert len(pages) == 2
    found = set().union(*(decoded(page) for page in pages))
    assert {("Code128", label.tracking_code) for label in labels} <= found
    assert {("QRCode", label.qr_text) for label in labels} <= found


def test_a_sheet_printed_at_300_dpi_decodes_after_a_half_size_blurred_photo():
    [page] = render_pdf(sheet_pdf([LABEL]), scale=300 / 72)
    assert decoded(as_phone_sees_it(page)) == EXPECTED


def test_long_texts_are_cut_with_an_ellipsis_not_overflowing():
    long_label = LabelData(**{**LABEL.__dict__, "department": "很长的部门名称" * 10})
    assert decoded(Image.open(io.BytesIO(thermal_png(long_label)))) == EXPECTED


def test_a_named_font_file_is_the_one_labels_are_set_in(tmp_path):
    with pytest.raises(OSError, match="cannot open resource"):
        thermal_png(LABEL, font_file=str(tmp_path / "missing.ttc"))

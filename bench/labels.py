"""Labels per second: a 60x40 mm thermal PNG against bare ``qrcode`` for the same text.

The baseline makes a PNG of the same QR text with ``qrcode.make`` and nothing else; ours adds
the Code128 symbol, Chinese text and layout. Both encode to PNG in memory.

Run: ``python -m bench.labels``; the last line is JSON.
"""

from __future__ import annotations

import io
import sys
import time

import qrcode

from bench.harness import emit
from core import codes
from labels.render import LabelData, thermal_png


def label(n: int) -> LabelData:
    code = codes.new_code("bench")
    return LabelData(
        tracking_code=code,
        qr_text=f"https://courier.example.edu/t/{code}",
        grouped_code=codes.grouped(code),
        department=f"科学技术处 {n}",
        route="南湖 → 西岭 → 南湖",
        due="限 11-30 17:30 前办结",
        item="横向科研合同审核与盖章",
    )


def bare_qr(data: LabelData) -> bytes:
    buffer = io.BytesIO()
    qrcode.make(data.qr_text).save(buffer)
    return buffer.getvalue()


def rate(render, labels: list[LabelData]) -> float:  # type: ignore[no-untyped-def]
    render(labels[0])
    start = time.perf_counter()
    for data in labels:
        render(data)
    return len(labels) / (time.perf_counter() - start)


def main() -> None:
    count = 100 if "--quick" in sys.argv else 1000
    labels = [label(n) for n in range(count)]
    ours = rate(thermal_png, labels)
    bare = rate(bare_qr, labels)
    emit(
        {
            "benchmark": "labels",
            "labels": count,
            "labels_per_second": round(ours, 1),
            "bare_qrcode_per_second": round(bare, 1),
            "ratio_of_bare": round(ours / bare, 3),
            "ms_per_label": round(1000 / ours, 2),
        }
    )


if __name__ == "__main__":
    main()

"""Labels per second: a 60x40 mm thermal PNG against bare ``qrcode`` for the same text.

The baseline is what a developer would otherwise write: ``qrcode.make(url).save(png)`` for the
same QR text, nothing else. Ours adds the Code128 symbol, the Chinese text, the layout and the
PNG. The two are interleaved in rounds (ABAB…, the first alternating), so a load swing on a
shared machine hits both alike. Every label has its own tracking code; departments, items and
routes come from a short list, as a day's labels at one desk do.

Run: ``python -m bench.labels [--quick]``; the last line is JSON.
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from collections.abc import Callable

import qrcode

from bench.harness import emit
from core import codes
from labels.render import LabelData, thermal_png

DESKS = [
    ("教务处（学籍管理科）", "中文成绩单开具"),
    ("科学技术处", "横向科研合同审核与盖章"),
    ("人事处", "在职证明开具"),
    ("财务处", "差旅费报销单据审核"),
    ("研究生院", "学位证明书办理"),
    ("国有资产管理处", "固定资产调拨审批"),
    ("国际交流合作处", "因公出国（境）任务批件"),
    ("档案馆", "档案查阅与复印件盖章"),
]
ROUTES = ["南湖 → 西岭 → 南湖", "东江 → 南湖 → 西岭 → 南湖 → 东江", "西岭 → 南湖 → 西岭"]
ROUND = 20


def label(n: int) -> LabelData:
    code = codes.new_code("bench")
    department, item = DESKS[n % len(DESKS)]
    return LabelData(
        tracking_code=code,
        qr_text=f"https://courier.example.edu/t/{code}",
        grouped_code=codes.grouped(code),
        department=department,
        route=ROUTES[n % len(ROUTES)],
        due=f"限 12-{1 + n % 28:02d} 17:30 前办结",
        item=item,
        urgent=n % 10 == 0,
    )


def bare_qr(data: LabelData) -> bytes:
    buffer = io.BytesIO()
    qrcode.make(data.qr_text).save(buffer)
    return buffer.getvalue()


def timed(render: Callable[[LabelData], bytes], labels: list[LabelData]) -> float:
    start = time.perf_counter()
    for data in labels:
        render(data)
    return time.perf_counter() - start


def main() -> None:
    count = 200 if "--quick" in sys.argv else 2000
    labels = [label(n) for n in range(count)]
    thermal_png(labels[0])
    bare_qr(labels[0])
    ours_total = bare_total = 0.0
    ratios = []
    for index in range(0, count, ROUND):
        chunk = labels[index : index + ROUND]
        if (index // ROUND) % 2:
            bare, ours = timed(bare_qr, chunk), timed(thermal_png, chunk)
        else:
            ours, bare = timed(thermal_png, chunk), timed(bare_qr, chunk)
        ours_total += ours
        bare_total += bare
        ratios.append(bare / ours)
    emit(
        {
            "benchmark": "labels",
            "labels": count,
            "labels_per_second": round(count / ours_total, 1),
            "bare_qrcode_per_second": round(count / bare_total, 1),
            "ratio_of_bare": round(bare_total / ours_total, 3),
            "ratio_of_bare_median_round": round(statistics.median(ratios), 3),
            "ms_per_label": round(1000 * ours_total / count, 2),
        }
    )


if __name__ == "__main__":
    main()

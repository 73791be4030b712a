"""Catalog search latency with 600 and 60,000 service items.

``ours`` is the product's search (every word against one precomputed, lower-cased search column
holding names, pinyin, initials, department and materials). The baseline, timed in the same run
on the same data, is the straightforward query a first version would write: each word ORed over
the name columns, the joined department and an EXISTS over the materials. It cannot match pinyin,
so pinyin queries are timed for ours only.

Run: ``python -m bench.catalog_search``; the last line is a JSON object of figures.
"""

from __future__ import annotations

import random
import sys
from typing import Any

from pypinyin import Style, lazy_pinyin
from sqlalchemy import exists, func, insert, or_, select
from sqlalchemy.orm import Session

from bench.harness import emit, scratch_database, time_calls
from catalog.items import SearchQuery, search_items
from catalog.models import (
    Campus,
    Department,
    ItemChannel,
    ItemStatus,
    Material,
    ServiceItem,
    item_campuses,
)
from core.db import make_engine, make_session_factory
from services.bootstrap import build_bus

SUBJECTS = [
    ("成绩单", "transcript"),
    ("在读证明", "enrolment certificate"),
    ("学位证明", "degree proof"),
    ("收入证明", "income certificate"),
    ("科研合同", "research contract"),
    ("报销单据", "expense claim"),
    ("出国审批", "travel approval"),
    ("档案复印", "archive copy"),
    ("校园卡补办", "campus card"),
    ("资产调拨", "asset transfer"),
    ("设备报废", "equipment disposal"),
    ("宿舍调整", "dormitory change"),
    ("车辆通行证", "vehicle pass"),
    ("论文提交", "thesis submission"),
    ("职称材料", "title dossier"),
]
VERBS = [
    ("开具", "issue"),
    ("办理", "apply"),
    ("盖章", "seal"),
    ("审核", "review"),
    ("查询", "query"),
]
MATERIALS = ["学生证", "身份证复印件", "申请表", "导师签字页", "合同原件", "发票", "护照"]
QUERIES = ["成绩单", "证明 开具", "transcript", "合同原件", "资产调拨 审核", "不存在的事项"]
PINYIN_QUERIES = ["cjd", "zaidu", "kyht"]


def populate(session: Session, count: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    campuses = [Campus(code=c, name=f"{c}校区", name_en=f"{c} Campus") for c in ("NH", "XL", "DJ")]
    session.add_all(campuses)
    departments = [
        Department(
            code=f"D{n:02d}", name=f"第{n}部门", name_en=f"Department {n}", campus=campuses[n % 3]
        )
        for n in range(12)
    ]
    session.add_all(departments)
    session.flush()
    items, links, channels, materials = [], [], [], []
    for n in range(1, count + 1):
        subject, subject_en = rng.choice(SUBJECTS)
        verb, verb_en = rng.choice(VERBS)
        department = rng.choice(departments)
        name, name_en = f"{subject}{verb}（{n}）", f"{subject_en} {verb_en} {n}"
        picked = rng.sample(MATERIALS, 2)
        search = " ".join(
            [
                f"X-{n:05d}",
                name,
                name_en,
                department.name,
                department.name_en,
                *picked,
                "".join(lazy_pinyin(name)),
                "".join(lazy_pinyin(name, style=Style.FIRST_LETTER)),
            ]
        ).lower()
        items.append(
            {
                "id": n,
                "code": f"X-{n:05d}",
                "name": name,
                "name_en": name_en,
                "department_id": department.id,
                "time_limit_days": rng.randint(0, 10),
                "fee": None,
                "legal_basis": "",
                "contact": "",
                "description": "",
                "description_en": "",
                "faq": [],
                "status": ItemStatus.PUBLISHED,
                "version": 1,
                "search_text": search,
            }
        )
        links.append({"item_id": n, "campus_id": rng.choice(campuses).id})
        channels.append(
            {"item_id": n, "channel": rng.choice(["online", "window", "courier_proxy"])}
        )
        materials += [
            {
                "item_id": n,
                "position": p,
                "name": m,
                "name_en": "",
                "form": "copy",
                "copies": 1,
                "notes": "",
            }
            for p, m in enumerate(picked, start=1)
        ]
    session.execute(insert(ServiceItem), items)
    session.execute(insert(item_campuses), links)
    session.execute(insert(ItemChannel), channels)
    session.execute(insert(Material), materials)
    session.commit()


def baseline_search(session: Session, text: str, limit: int = 50) -> list[Any]:
    statement = (
        select(ServiceItem.id).join(Department).where(ServiceItem.status == ItemStatus.PUBLISHED)
    )
    for word in text.lower().split():
        like = f"%{word}%"
        statement = statement.where(
            or_(
                ServiceItem.name.like(like),
                func.lower(ServiceItem.name_en).like(like),
                func.lower(ServiceItem.code).like(like),
                Department.name.like(like),
                func.lower(Department.name_en).like(like),
                exists().where(Material.item_id == ServiceItem.id, Material.name.like(like)),
            )
        )
    total = session.scalar(select(func.count()).select_from(statement.subquery()))
    rows = session.scalars(statement.order_by(ServiceItem.code).limit(limit)).all()
    return [total, rows]


def measure(count: int, rounds: int) -> dict[str, Any]:
    with scratch_database() as url:
        engine = make_engine(url)
        with make_session_factory(engine, build_bus())() as session:
            populate(session, count)
            ours = time_calls(
                [lambda q=q: search_items(session, SearchQuery(text=q)) for q in QUERIES], rounds
            )
            baseline = time_calls(
                [lambda q=q: baseline_search(session, q) for q in QUERIES], rounds
            )
            pinyin = time_calls(
                [lambda q=q: search_items(session, SearchQuery(text=q)) for q in PINYIN_QUERIES],
                rounds,
            )
            matches = {q: search_items(session, SearchQuery(text=q))[1] for q in PINYIN_QUERIES}
        engine.dispose()
    return {
        "ours": ours,
        "baseline": baseline,
        "ours_pinyin": pinyin,
        "pinyin_matches": matches,
        "speedup_p50": round(baseline["p50_ms"] / ours["p50_ms"], 2),
        "speedup_p99": round(baseline["p99_ms"] / ours["p99_ms"], 2),
    }


def main() -> None:
    quick = "--quick" in sys.argv
    sizes = {"600": 600, "60000": 6_000 if quick else 60_000}
    figures: dict[str, Any] = {"benchmark": "catalog_search", "queries": QUERIES}
    for label, count in sizes.items():
        print(f"measuring {count} items ...", file=sys.stderr)
        figures[f"items_{label}"] = measure(count, rounds=30 if count <= 600 else 5)
        figures[f"items_{label}"]["count"] = count
    emit(figures)


if __name__ == "__main__":
    main()

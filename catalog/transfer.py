"""Import and export of the catalog as YAML (everything) or CSV (service items).

Both round-trip without loss: exporting, importing and exporting again gives the same text. An
import checks every row first and writes nothing unless all of them are valid; the problems come
back with their line numbers.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.items import (
    ItemData,
    campus_codes,
    category_codes,
    department_campus_codes,
    item_record,
    parse_item,
    save_item,
)
from catalog.models import (
    Campus,
    Department,
    Location,
    LocationKind,
    ServiceCategory,
    ServiceItem,
)
from core.errors import N_, Problem, ValidationFailed

FORMAT_VERSION = 1
CSV_COLUMNS = [
    "code",
    "name",
    "name_en",
    "department",
    "category",
    "joint_departments",
    "campuses",
    "channels",
    "proxy_allowed",
    "time_limit_days",
    "sla_starts",
    "fee",
    "fee_en",
    "legal_basis",
    "legal_basis_en",
    "contact",
    "contact_en",
    "description",
    "description_en",
    "materials",
    "faq",
    "status",
    "version",
]
SHORT_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,23}$")


@dataclass(frozen=True)
class ImportReport:
    created: int
    updated: int
    campuses: int = 0
    departments: int = 0
    locations: int = 0
    categories: int = 0


#: Largest import read by default (``COURIER_MAX_IMPORT_BYTES``); checked before parsing.
MAX_IMPORT_BYTES = 1024 * 1024
#: Cells spreadsheets read as formulas; exported with a leading ``'`` (and read back without).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class _AliasRefused(yaml.YAMLError):
    def __init__(self, mark: yaml.Mark) -> None:
        super().__init__("aliases are not accepted")
        self.problem_mark = mark


class _LineLoader(yaml.SafeLoader):
    """A safe loader that records the line each mapping starts on under ``__line__`` and
    refuses aliases: a catalog needs none, and nested aliases expand a 1 KB file to gigabytes."""

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            raise _AliasRefused(self.peek_event().start_mark)
        return super().compose_node(parent, index)  # type: ignore[no-any-return]


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def export_yaml(session: Session) -> str:
    """The whole catalog (campuses, categories, departments, locations, items of every status)
    as YAML."""
    document = {
        "version": FORMAT_VERSION,
        "campuses": [
            {"code": c.code, "name": c.name, "name_en": c.name_en, "address": c.address}
            for c in session.scalars(select(Campus).order_by(Campus.code))
        ],
        "categories": [
            {"code": c.code, "name": c.name, "name_en": c.name_en}
            for c in session.scalars(
                select(ServiceCategory).order_by(ServiceCategory.position, ServiceCategory.code)
            )
        ],
        "departments": [
            {
                "code": d.code,
                "name": d.name,
                "name_en": d.name_en,
                "campus": d.campus.code,
                "phone": d.phone,
                "office": d.office,
            }
            for d in session.scalars(select(Department).order_by(Department.code))
        ],
        "locations": [
            {
                "code": loc.code,
                "name": loc.name,
                "name_en": loc.name_en,
                "campus": loc.campus.code,
                "kind": str(loc.kind),
                "department": loc.department.code if loc.department else None,
                "address": loc.address,
            }
            for loc in session.scalars(select(Location).order_by(Location.code))
        ],
        "items": [
            item_record(item)
            for item in session.scalars(select(ServiceItem).order_by(ServiceItem.code))
        ],
    }
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)


def export_csv(session: Session) -> str:
    """Every service item as CSV; lists are joined with ``|``, materials and FAQ are JSON."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for item in session.scalars(select(ServiceItem).order_by(ServiceItem.code)):
        record = item_record(item)
        record["category"] = record["category"] or ""
        record["joint_departments"] = "|".join(record["joint_departments"])
        record["campuses"] = "|".join(record["campuses"])
        record["channels"] = "|".join(record["channels"])
        record["proxy_allowed"] = "true" if record["proxy_allowed"] else "false"
        record["materials"] = json.dumps(record["materials"], ensure_ascii=False)
        record["faq"] = json.dumps(record["faq"], ensure_ascii=False)
        writer.writerow({key: neutralise_cell(value) for key, value in record.items()})
    return out.getvalue()


def neutralise_cell(value: Any) -> Any:
    """A cell a spreadsheet would run as a formula, quoted so that it shows as text."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _unquoted(value: str) -> str:
    """Undo :func:`neutralise_cell`, so that export and import stay lossless."""
    if value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


def _read_csv(text: str, problems: list[Problem]) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = {"code", "name", "department", "campuses", "channels", "time_limit_days", "fee"}
    missing -= set(reader.fieldnames or [])
    if missing:
        problems.append(
            Problem(
                "header",
                N_("Missing columns: %(columns)s."),
                line=1,
                columns=", ".join(sorted(missing)),
            )
        )
        return []
    rows = []
    for row in reader:
        line = reader.line_num
        record: dict[str, Any] = {
            key: _unquoted(value) if isinstance(value, str) else value for key, value in row.items()
        }
        for key in ("materials", "faq"):
            cell = (record.get(key) or "").strip()
            if not cell:
                record[key] = []
                continue
            try:
                record[key] = json.loads(cell)
            except json.JSONDecodeError:
                problems.append(Problem(key, N_("This cell is not valid JSON."), line=line))
                record[key] = []
        rows.append((line, record))
    return rows


def _read_yaml(text: str, problems: list[Problem]) -> dict[str, Any]:
    try:
        document = yaml.load(text, Loader=_LineLoader)
    except _AliasRefused as exc:
        problems.append(
            Problem(
                "file",
                N_("YAML aliases (*name) are not accepted."),
                line=exc.problem_mark.line + 1,
            )
        )
        return {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.append(
            Problem("file", N_("Not valid YAML."), line=mark.line + 1 if mark else None)
        )
        return {}
    if not isinstance(document, Mapping):
        problems.append(
            Problem("file", N_("Expected a mapping with campuses, departments and items."), line=1)
        )
        return {}
    return dict(document)


def _check_places(
    document: Mapping[str, Any], problems: list[Problem]
) -> dict[str, list[dict[str, Any]]]:
    """Validate the campuses, categories, departments and locations sections of a YAML
    document."""
    sections: dict[str, list[dict[str, Any]]] = {}
    for section in ("campuses", "categories", "departments", "locations"):
        value = document.get(section) or []
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            problems.append(Problem(section, N_("This section must be a list of mappings.")))
            value = []
        sections[section] = [dict(v) for v in value]
        seen: set[str] = set()
        for record in sections[section]:
            line = record.get("__line__")
            code = str(record.get("code") or "").strip().upper()
            record["code"] = code
            if not SHORT_CODE.match(code):
                problems.append(
                    Problem(
                        "code", N_("A code has 2-24 capital letters, digits or '-'."), line=line
                    )
                )
            elif code in seen:
                problems.append(
                    Problem("code", N_("The code %(code)s appears twice."), line=line, code=code)
                )
            seen.add(code)
            if not str(record.get("name") or "").strip():
                problems.append(Problem("name", N_("The name is required."), line=line))
    return sections


def import_catalog(
    session: Session, text: str, fmt: str, max_bytes: int = MAX_IMPORT_BYTES
) -> ImportReport:
    """Import a YAML document or a CSV of items; all rows are checked before anything is written.

    Existing records (matched by code) are updated, new ones created. Raises
    :class:`ValidationFailed` with every problem, each with its line, and writes nothing then;
    a text over ``max_bytes`` is refused before it is parsed.
    """
    if len(text.encode()) > max_bytes:
        raise ValidationFailed(
            [
                Problem(
                    "file",
                    N_("The file is larger than %(kb)s KB."),
                    kb=max_bytes // 1024,
                )
            ]
        )
    problems: list[Problem] = []
    campuses: list[dict[str, Any]] = []
    departments: list[dict[str, Any]] = []
    locations: list[dict[str, Any]] = []
    categories: list[dict[str, Any]] = []
    if fmt == "yaml":
        document = _read_yaml(text, problems)
        if document.get("version", FORMAT_VERSION) != FORMAT_VERSION:
            problems.append(Problem("version", N_("Unsupported format version."), line=1))
        sections = _check_places(document, problems)
        campuses, departments = sections["campuses"], sections["departments"]
        locations, categories = sections["locations"], sections["categories"]
        raw_items = document.get("items") or []
        if not isinstance(raw_items, list):
            problems.append(Problem("items", N_("This section must be a list of mappings.")))
            raw_items = []
        rows = [(r.get("__line__") if isinstance(r, Mapping) else None, r) for r in raw_items]
    elif fmt == "csv":
        rows = _read_csv(text, problems)
    else:
        raise ValueError(f"unknown format {fmt!r}")

    campus_known = set(campus_codes(session)) | {c["code"] for c in campuses}
    department_campuses = department_campus_codes(session)
    department_campuses.update(
        {d["code"]: str(d.get("campus") or "").strip().upper() for d in departments}
    )
    department_known = set(department_campuses)
    category_known = set(category_codes(session)) | {c["code"] for c in categories}
    for record in departments:
        if str(record.get("campus") or "").upper() not in campus_known:
            problems.append(
                Problem(
                    "campus",
                    N_("Unknown campus %(code)s."),
                    line=record.get("__line__"),
                    code=record.get("campus") or "-",
                )
            )
    for record in locations:
        line = record.get("__line__")
        if str(record.get("campus") or "").upper() not in campus_known:
            problems.append(
                Problem(
                    "campus",
                    N_("Unknown campus %(code)s."),
                    line=line,
                    code=record.get("campus") or "-",
                )
            )
        if record.get("kind") not in LocationKind.__members__.values():
            problems.append(
                Problem(
                    "kind", N_("Kind must be hall, office, shuttle_stop or locker_site."), line=line
                )
            )
        department = record.get("department")
        if department and str(department).upper() not in department_known:
            problems.append(
                Problem(
                    "department", N_("Unknown department %(code)s."), line=line, code=department
                )
            )

    items: list[ItemData] = []
    seen: set[str] = set()
    for line, raw in rows:
        if not isinstance(raw, Mapping):
            problems.append(Problem("item", N_("Each item must be a mapping."), line=line))
            continue
        data, item_problems = parse_item(
            raw,
            department_known,
            campus_known,
            line=line,
            categories=category_known,
            department_campuses=department_campuses,
        )
        problems.extend(item_problems)
        if data is None:
            continue
        if data.code in seen:
            problems.append(
                Problem("code", N_("The code %(code)s appears twice."), line=line, code=data.code)
            )
        seen.add(data.code)
        items.append(data)
    if problems:
        raise ValidationFailed(problems)
    return _write(session, campuses, departments, locations, items, categories)


def _upsert(session: Session, model: type[Any], code: str) -> Any:
    row = session.scalar(select(model).where(model.code == code))
    if row is None:
        row = model(code=code)
        session.add(row)
    return row


def _write(
    session: Session,
    campuses: list[dict[str, Any]],
    departments: list[dict[str, Any]],
    locations: list[dict[str, Any]],
    items: list[ItemData],
    categories: list[dict[str, Any]],
) -> ImportReport:
    def text(record: Mapping[str, Any], key: str) -> str:
        return str(record.get(key) or "").strip()

    by_code: dict[str, Campus] = {}
    for record in campuses:
        campus = _upsert(session, Campus, record["code"])
        campus.name, campus.name_en, campus.address = (
            text(record, "name"),
            text(record, "name_en"),
            text(record, "address"),
        )
        by_code[campus.code] = campus
    for position, record in enumerate(categories, start=1):
        category = _upsert(session, ServiceCategory, record["code"])
        category.name, category.name_en = text(record, "name"), text(record, "name_en")
        category.position = position
    session.flush()

    def campus_of(record: Mapping[str, Any]) -> Campus:
        code = text(record, "campus").upper()
        return by_code.get(code) or session.scalars(select(Campus).where(Campus.code == code)).one()

    for record in departments:
        department = _upsert(session, Department, record["code"])
        department.name = text(record, "name")
        department.name_en = text(record, "name_en")
        department.campus = campus_of(record)
        department.phone = text(record, "phone")
        department.office = text(record, "office")
    session.flush()
    for record in locations:
        location = _upsert(session, Location, record["code"])
        location.name = text(record, "name")
        location.name_en = text(record, "name_en")
        location.campus = campus_of(record)
        location.kind = LocationKind(record["kind"])
        location.address = text(record, "address")
        department_code = text(record, "department").upper()
        location.department = (
            session.scalars(select(Department).where(Department.code == department_code)).one()
            if department_code
            else None
        )
    session.flush()
    existing = set(
        session.scalars(
            select(ServiceItem.code).where(ServiceItem.code.in_([i.code for i in items]))
        )
    )
    for data in items:
        save_item(session, data)
    return ImportReport(
        created=len(items) - len(existing),
        updated=len(existing),
        campuses=len(campuses),
        departments=len(departments),
        locations=len(locations),
        categories=len(categories),
    )

"""Service items: validation, saving, the publication life cycle and search."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pypinyin import Style, lazy_pinyin
from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from catalog.models import (
    Campus,
    Channel,
    Department,
    ItemChannel,
    ItemStatus,
    JointStep,
    Material,
    MaterialForm,
    ServiceCategory,
    ServiceItem,
    SlaStart,
    item_campuses,
    item_categories,
)
from core import clock
from core.errors import N_, Conflict, NotFound, Problem, ValidationFailed

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,19}$")
FREE = "free"
MAX_TIME_LIMIT_DAYS = 180


@dataclass
class MaterialData:
    name: str
    form: MaterialForm
    copies: int = 1
    name_en: str = ""
    notes: str = ""
    notes_en: str = ""


@dataclass
class ItemData:
    """A validated service item, as read from a form, an API call or an import row."""

    code: str
    name: str
    department: str
    campuses: list[str]
    channels: list[Channel]
    time_limit_days: int
    fee: str | None
    sla_starts: SlaStart = SlaStart.ACCEPTED
    #: The code of its service category, if it has one.
    category: str | None = None
    #: 联审联办: department codes in the order the papers pass them (empty: its department alone).
    joint_departments: list[str] = field(default_factory=list)
    name_en: str = ""
    fee_en: str = ""
    legal_basis: str = ""
    legal_basis_en: str = ""
    contact: str = ""
    contact_en: str = ""
    description: str = ""
    description_en: str = ""
    materials: list[MaterialData] = field(default_factory=list)
    faq: list[dict[str, str]] = field(default_factory=list)
    status: ItemStatus = ItemStatus.DRAFT
    version: int | None = None


def _text(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    return "" if value is None else str(value).strip()


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part.strip() for part in re.split(r"[|,，;；\s]+", value) if part.strip()]
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "yes", "1", "y", "是"}:
        return True
    if text in {"false", "no", "0", "n", "否"}:
        return False
    return None


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text) if re.fullmatch(r"-?\d+", text) else None


def parse_item(
    raw: Mapping[str, Any],
    departments: Iterable[str],
    campuses: Iterable[str],
    line: int | None = None,
    *,
    categories: Iterable[str] = (),
    department_campuses: Mapping[str, str] | None = None,
) -> tuple[ItemData | None, list[Problem]]:
    """Check one raw item (form, API body, import row) against the catalog's rules.

    ``departments``, ``campuses`` and ``categories`` are the codes that exist (or will, within
    the same import); ``department_campuses`` gives each department's campus code, when known,
    so that a jointly handled item's departments can be checked to share one campus.
    Returns the item, or ``None`` and every problem found, each with ``line`` when given.
    """
    problems: list[Problem] = []

    def problem(field_name: str, message: str, **params: Any) -> None:
        problems.append(Problem(field_name, message, line=line, **params))

    code = _text(raw, "code").upper()
    if not CODE_PATTERN.match(code):
        problem("code", N_("A code has 2-20 capital letters, digits or '-'."))
    name = _text(raw, "name")
    if not name:
        problem("name", N_("The name is required."))
    elif len(name) > 200:
        problem("name", N_("The name is longer than %(max)s characters."), max=200)
    known_departments = set(departments)
    department = _text(raw, "department").upper()
    if department not in known_departments:
        problem("department", N_("Unknown department %(code)s."), code=department or "-")
    category = _text(raw, "category").upper() or None
    if category is not None and category not in set(categories):
        problem("category", N_("Unknown category %(code)s."), code=category)
    joint = _parse_joint(
        raw.get("joint_departments"), known_departments, department_campuses, problem
    )
    known_campuses = set(campuses)
    campus_codes = [str(c).strip().upper() for c in _as_list(raw.get("campuses"))]
    if not campus_codes:
        problem("campuses", N_("Name at least one campus."))
    for unknown in [c for c in campus_codes if c not in known_campuses]:
        problem("campuses", N_("Unknown campus %(code)s."), code=unknown)
    channels: list[Channel] = []
    for value in _as_list(raw.get("channels")):
        try:
            channels.append(Channel(str(value).strip()))
        except ValueError:
            problem("channels", N_("Unknown channel %(value)s."), value=value)
    if not channels and not any(p.field == "channels" for p in problems):
        problem("channels", N_("Name at least one channel."))
    if "proxy_allowed" in raw and raw.get("proxy_allowed") not in (None, ""):
        proxy = _as_bool(raw.get("proxy_allowed"))
        if proxy is None:
            problem("proxy_allowed", N_("Write true or false."))
        elif proxy != (Channel.COURIER_PROXY in channels):
            problem(
                "proxy_allowed",
                N_("Courier proxy handling is allowed exactly when courier_proxy is a channel."),
            )
    days = _as_int(raw.get("time_limit_days"))
    if days is None or not 0 <= days <= MAX_TIME_LIMIT_DAYS:
        problem(
            "time_limit_days",
            N_("The time limit is a whole number of working days from 0 to %(max)s."),
            max=MAX_TIME_LIMIT_DAYS,
        )
    try:
        sla_starts = SlaStart(_text(raw, "sla_starts") or SlaStart.ACCEPTED.value)
    except ValueError:
        problem("sla_starts", N_("The time limit starts at accepted or submitted."))
        sla_starts = SlaStart.ACCEPTED
    fee_text = _text(raw, "fee")
    if not fee_text:
        problem("fee", N_("The fee is required; write free when the item costs nothing."))
    fee = None if fee_text.lower() in {FREE, "免费"} else fee_text
    status_text = _text(raw, "status") or ItemStatus.DRAFT.value
    try:
        status = ItemStatus(status_text)
    except ValueError:
        problem("status", N_("Status must be draft, published or retired."))
        status = ItemStatus.DRAFT
    version = None
    if raw.get("version") not in (None, ""):
        version = _as_int(raw.get("version"))
        if version is None or version < 0:
            problem("version", N_("The version is a whole number."))
    materials = _parse_materials(raw.get("materials"), problem)
    faq = _parse_faq(raw.get("faq"), problem)
    if problems:
        return None, problems
    return (
        ItemData(
            code=code,
            name=name,
            name_en=_text(raw, "name_en"),
            department=department,
            campuses=sorted(set(campus_codes)),
            channels=[c for c in Channel if c in channels],
            time_limit_days=days or 0,
            sla_starts=sla_starts,
            category=category,
            joint_departments=joint,
            fee=fee,
            fee_en="" if fee is None else _text(raw, "fee_en"),
            legal_basis=_text(raw, "legal_basis"),
            legal_basis_en=_text(raw, "legal_basis_en"),
            contact=_text(raw, "contact"),
            contact_en=_text(raw, "contact_en"),
            description=_text(raw, "description"),
            description_en=_text(raw, "description_en"),
            materials=materials,
            faq=faq,
            status=status,
            version=version,
        ),
        [],
    )


def _parse_joint(
    value: Any,
    known: set[str],
    department_campuses: Mapping[str, str] | None,
    problem: Any,
) -> list[str]:
    """The departments of a 联审联办 item, in order: two or more, each once, on one campus
    (the agent desk walks the papers from one to the next; no shuttle runs between steps)."""
    codes = [str(code).strip().upper() for code in _as_list(value)]
    if not codes:
        return []
    for unknown in [code for code in codes if code not in known]:
        problem("joint_departments", N_("Unknown department %(code)s."), code=unknown)
    if len(codes) < 2:
        problem(
            "joint_departments",
            N_("Joint handling names two or more departments; leave it empty for one."),
        )
    if len(set(codes)) != len(codes):
        problem("joint_departments", N_("Each department appears once in the order."))
    if department_campuses is not None:
        campuses = {department_campuses.get(code) for code in codes if code in known}
        if len(campuses) > 1:
            problem(
                "joint_departments",
                N_("The departments of a joint item must be on one campus."),
            )
    return codes


def _parse_materials(value: Any, problem: Any) -> list[MaterialData]:
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        problem("materials", N_("Materials must be a list."))
        return []
    materials = []
    for number, entry in enumerate(value, start=1):
        if not isinstance(entry, Mapping):
            problem("materials", N_("Material %(n)s is not a mapping."), n=number)
            continue
        name = _text(entry, "name")
        if not name:
            problem("materials", N_("Material %(n)s has no name."), n=number)
        form_text = _text(entry, "form") or MaterialForm.ORIGINAL.value
        if form_text not in MaterialForm.__members__.values():
            problem("materials", N_("Material %(n)s: form must be original or copy."), n=number)
            continue
        copies = _as_int(entry.get("copies", 1))
        if copies is None or not 1 <= copies <= 99:
            problem("materials", N_("Material %(n)s: copies must be 1 to 99."), n=number)
            continue
        materials.append(
            MaterialData(
                name=name,
                name_en=_text(entry, "name_en"),
                form=MaterialForm(form_text),
                copies=copies,
                notes=_text(entry, "notes"),
                notes_en=_text(entry, "notes_en"),
            )
        )
    return materials


def _parse_faq(value: Any, problem: Any) -> list[dict[str, str]]:
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        problem("faq", N_("The FAQ must be a list of questions and answers."))
        return []
    faq = []
    for number, entry in enumerate(value, start=1):
        if not isinstance(entry, Mapping) or not _text(entry, "q") or not _text(entry, "a"):
            problem("faq", N_("FAQ entry %(n)s needs a question (q) and an answer (a)."), n=number)
            continue
        # English is optional per entry: q_en and a_en, shown on English pages when present.
        english = {key: _text(entry, key) for key in ("q_en", "a_en") if _text(entry, key)}
        faq.append({"q": _text(entry, "q"), "a": _text(entry, "a"), **english})
    return faq


def department_codes(session: Session) -> list[str]:
    return list(session.scalars(select(Department.code)))


def campus_codes(session: Session) -> list[str]:
    return list(session.scalars(select(Campus.code)))


def category_codes(session: Session) -> list[str]:
    return list(session.scalars(select(ServiceCategory.code)))


def department_campus_codes(session: Session) -> dict[str, str]:
    """Each department's code with its campus's code."""
    rows = session.execute(
        select(Department.code, Campus.code).join(Campus, Campus.id == Department.campus_id)
    )
    return {str(department): str(campus) for department, campus in rows}


def validate_item(session: Session, raw: Mapping[str, Any]) -> ItemData:
    """Validate one item against the database's departments, campuses and categories, or
    raise."""
    departments = department_campus_codes(session)
    data, problems = parse_item(
        raw,
        departments,
        campus_codes(session),
        categories=category_codes(session),
        department_campuses=departments,
    )
    if data is None:
        raise ValidationFailed(problems)
    return data


def search_text(item: ServiceItem) -> str:
    """What search matches: names, full pinyin and initials, department and materials."""
    parts = [item.code, item.name, item.name_en, item.department.name, item.department.name_en]
    if item.category is not None:
        parts += [item.category.name, item.category.name_en]
    parts += [m.name for m in item.materials] + [m.name_en for m in item.materials]
    syllables = lazy_pinyin(item.name, errors="ignore")
    parts.append("".join(syllables))
    parts.append("".join(lazy_pinyin(item.name, style=Style.FIRST_LETTER, errors="ignore")))
    parts.append(
        "".join(lazy_pinyin(item.department.name, style=Style.FIRST_LETTER, errors="ignore"))
    )
    return " ".join(p for p in parts if p).lower()


def item_record(item: ServiceItem) -> dict[str, Any]:
    """An item as plain data, in the shape :func:`catalog.items.parse_item` reads back."""
    return {
        "code": item.code,
        "name": item.name,
        "name_en": item.name_en,
        "department": item.department.code,
        "category": item.category.code if item.category else None,
        "joint_departments": [d.code for d in item.joint_departments],
        "campuses": [c.code for c in item.campuses],
        "channels": [c.value for c in item.channels],
        "proxy_allowed": item.proxy_allowed,
        "time_limit_days": item.time_limit_days,
        "sla_starts": item.sla_starts.value,
        "fee": FREE if item.fee is None else item.fee,
        "fee_en": item.fee_en,
        "legal_basis": item.legal_basis,
        "legal_basis_en": item.legal_basis_en,
        "contact": item.contact,
        "contact_en": item.contact_en,
        "description": item.description,
        "description_en": item.description_en,
        "materials": [
            {
                "name": m.name,
                "name_en": m.name_en,
                "form": str(m.form),
                "copies": m.copies,
                "notes": m.notes,
                "notes_en": m.notes_en,
            }
            for m in item.materials
        ],
        "faq": list(item.faq),
        "status": str(item.status),
        "version": item.version,
    }


def _content(item: ServiceItem) -> dict[str, Any]:
    record = item_record(item)
    del record["status"], record["version"]
    return record


def save_item(session: Session, data: ItemData, *, expected_code: str | None = None) -> ServiceItem:
    """Create or update the item ``data.code``; saving a published item republishes it.

    ``expected_code`` is the code being edited: renaming onto another item's code is refused.
    """
    item = session.scalar(select(ServiceItem).where(ServiceItem.code == data.code))
    if expected_code is not None and data.code != expected_code:
        if item is not None:
            raise Conflict("code_taken", N_("The code %(code)s is taken."), code=data.code)
        item = get_item(session, expected_code, published_only=False)
    before = None if item is None else _content(item)
    department = session.scalars(select(Department).where(Department.code == data.department)).one()
    campuses = list(
        session.scalars(select(Campus).where(Campus.code.in_(data.campuses)).order_by(Campus.code))
    )
    if item is None:
        item = ServiceItem(code=data.code, version=0, status=ItemStatus.DRAFT)
        session.add(item)
    item.code = data.code
    item.name = data.name
    item.name_en = data.name_en
    item.department = department
    item.category = (
        session.scalars(select(ServiceCategory).where(ServiceCategory.code == data.category)).one()
        if data.category
        else None
    )
    item.campuses = campuses
    current = {row.channel: row for row in item.channel_rows}
    item.channel_rows = [current.get(c) or ItemChannel(channel=c) for c in data.channels]
    item.time_limit_days = data.time_limit_days
    item.sla_starts = data.sla_starts
    item.fee = data.fee
    item.fee_en = data.fee_en
    item.legal_basis = data.legal_basis
    item.legal_basis_en = data.legal_basis_en
    item.contact = data.contact
    item.contact_en = data.contact_en
    item.description = data.description
    item.description_en = data.description_en
    item.faq = data.faq
    item.materials.clear()
    # Rows keyed by position are cleared and flushed before the new ones go in.
    reordered = [d.code for d in item.joint_departments] != data.joint_departments
    if reordered:
        item.joint_steps.clear()
    session.flush()
    item.materials.extend(
        Material(
            position=position,
            name=m.name,
            name_en=m.name_en,
            form=m.form,
            copies=m.copies,
            notes=m.notes,
            notes_en=m.notes_en,
        )
        for position, m in enumerate(data.materials, start=1)
    )
    if reordered:
        joint = {
            d.code: d
            for d in session.scalars(
                select(Department).where(Department.code.in_(data.joint_departments))
            )
        }
        item.joint_steps.extend(
            JointStep(position=position, department=joint[code])
            for position, code in enumerate(data.joint_departments, start=1)
        )
    if data.version is not None:
        # An import that names the version restores exactly what an export held.
        item.version = data.version
        item.status = data.status
        if data.status is ItemStatus.PUBLISHED and item.published_at is None:
            item.published_at = clock.now()
    elif data.status is ItemStatus.PUBLISHED and (
        item.status != ItemStatus.PUBLISHED or _content(item) != before
    ):
        # A published item whose text changed is published again as the next version.
        _publish(item)
    else:
        item.status = data.status
    item.search_text = search_text(item)
    session.flush()
    return item


def create_item(session: Session, data: ItemData) -> ServiceItem:
    """Add a new item; refuses a code that is already taken."""
    if session.scalar(select(ServiceItem.id).where(ServiceItem.code == data.code)) is not None:
        raise Conflict("code_taken", N_("The code %(code)s is taken."), code=data.code)
    return save_item(session, data)


def _publish(item: ServiceItem) -> None:
    item.status = ItemStatus.PUBLISHED
    item.version = (item.version or 0) + 1
    item.published_at = clock.now()


def publish_item(session: Session, code: str) -> ServiceItem:
    """Publish the item: visible to everyone, its version one higher."""
    item = get_item(session, code, published_only=False)
    _publish(item)
    session.flush()
    return item


def retire_item(session: Session, code: str) -> ServiceItem:
    """Withdraw the item from the public catalog; its history and code stay."""
    item = get_item(session, code, published_only=False)
    item.status = ItemStatus.RETIRED
    session.flush()
    return item


def get_item(session: Session, code: str, *, published_only: bool = True) -> ServiceItem:
    """The item with ``code``; raises :class:`NotFound` (also for unpublished ones when asked)."""
    query = select(ServiceItem).where(ServiceItem.code == code.strip().upper())
    if published_only:
        query = query.where(ServiceItem.status == ItemStatus.PUBLISHED)
    item = session.scalar(query)
    if item is None:
        raise NotFound("item_not_found", N_("No service item has the code %(code)s."), code=code)
    return item


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    department: str | None = None
    campus: str | None = None
    channel: Channel | None = None
    category: str | None = None
    statuses: tuple[ItemStatus, ...] = (ItemStatus.PUBLISHED,)
    limit: int = 50
    offset: int = 0


def _search_statement(query: SearchQuery) -> Select[tuple[ServiceItem]]:
    statement = select(ServiceItem).where(ServiceItem.status.in_(query.statuses))
    text = query.text.strip().lower()
    for term in text.split():
        statement = statement.where(
            ServiceItem.search_text.like(f"%{_escape_like(term)}%", escape="\\")
        )
    if query.department:
        statement = statement.join(Department).where(Department.code == query.department.upper())
    if query.category:
        statement = statement.where(
            ServiceItem.id.in_(
                select(item_categories.c.item_id)
                .join(ServiceCategory, ServiceCategory.id == item_categories.c.category_id)
                .where(ServiceCategory.code == query.category.upper())
            )
        )
    if query.campus:
        statement = statement.where(
            ServiceItem.id.in_(
                select(item_campuses.c.item_id)
                .join(Campus, Campus.id == item_campuses.c.campus_id)
                .where(Campus.code == query.campus.upper())
            )
        )
    if query.channel:
        statement = statement.where(
            ServiceItem.id.in_(
                select(ItemChannel.item_id).where(ItemChannel.channel == query.channel)
            )
        )
    return statement


def search_items(session: Session, query: SearchQuery) -> tuple[list[ServiceItem], int]:
    """Items matching every word of ``query.text`` and its filters, best matches first.

    Returns one page of items and the total number of matches. Words match anywhere in the
    Chinese or English name, the pinyin or its initials, the code, the department or a material.
    """
    statement = _search_statement(query)
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    text = query.text.strip()
    order = [ServiceItem.code]
    if text:
        like = f"%{_escape_like(text)}%"
        rank = case(
            (func.upper(ServiceItem.code) == text.upper(), 0),
            (ServiceItem.name.like(f"{_escape_like(text)}%", escape="\\"), 1),
            (ServiceItem.name.like(like, escape="\\"), 2),
            (func.lower(ServiceItem.name_en).like(like.lower(), escape="\\"), 3),
            else_=4,
        )
        order.insert(0, rank)
    items = session.scalars(
        statement.order_by(*order).limit(query.limit).offset(query.offset)
    ).all()
    return list(items), total


@dataclass(frozen=True)
class CategoryCount:
    category: ServiceCategory
    items: int


def categories_with_counts(session: Session) -> list[CategoryCount]:
    """Every service category in the guide's order, with how many published items it holds."""
    counts: dict[int, int] = dict(
        session.execute(  # type: ignore[arg-type]
            select(item_categories.c.category_id, func.count())
            .join(ServiceItem, ServiceItem.id == item_categories.c.item_id)
            .where(ServiceItem.status == ItemStatus.PUBLISHED)
            .group_by(item_categories.c.category_id)
        ).all()
    )
    return [
        CategoryCount(category, counts.get(category.id, 0))
        for category in session.scalars(
            select(ServiceCategory).order_by(ServiceCategory.position, ServiceCategory.code)
        )
    ]

"""The public catalog of service items."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta

from catalog.models import Campus, Channel, Department, ServiceCategory
from web.api.schemas.common import Count, column_text, text

#: Most items one page of ``GET /api/catalog/items`` holds.
MAX_PAGE = 100


class ItemsQuery(msgspec.Struct):
    q: text(100) = ""  # type: ignore[valid-type]
    #: A service category's code (科研事务 is ``RESEARCH``): only that category's items.
    category: column_text(ServiceCategory.code) | None = None  # type: ignore[valid-type]
    department: column_text(Department.code) | None = None  # type: ignore[valid-type]
    campus: column_text(Campus.code) | None = None  # type: ignore[valid-type]
    channel: Channel | None = None
    page: Annotated[int, Meta(ge=1, le=100_000)] = 1
    limit: Annotated[int, Meta(ge=1, le=MAX_PAGE)] = 50


class DepartmentRef(msgspec.Struct):
    code: str
    name: str
    name_en: str


class CategoryRef(msgspec.Struct):
    code: str
    name: str
    name_en: str


class Material(msgspec.Struct):
    name: str
    name_en: str
    form: str
    copies: int
    notes: str
    notes_en: str = ""


class Item(msgspec.Struct):
    """A published service item; ``fee`` is ``free`` or what it costs, time limit in working
    days (0: handled on the spot)."""

    code: str
    name: str
    name_en: str
    department: DepartmentRef
    campuses: list[str]
    channels: list[str]
    proxy_allowed: bool
    time_limit_days: int
    fee: str
    legal_basis: str
    contact: str
    description: str
    description_en: str
    materials: list[Material]
    faq: list[dict[str, Any]]
    status: str
    version: int
    #: English for the fields above, empty where the catalog has none (pages then say so).
    fee_en: str = ""
    legal_basis_en: str = ""
    contact_en: str = ""
    #: Its service category (``null``: none yet).
    category: CategoryRef | None = None
    #: 联审联办: the departments that handle the papers in turn, within the one time limit
    #: (empty: its department alone).
    joint_departments: list[DepartmentRef] = []


class ItemPage(msgspec.Struct):
    items: list[Item]
    total: Count
    page: int
    limit: int

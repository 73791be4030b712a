"""The public catalog API: service guides are public, no login needed."""

from __future__ import annotations

from typing import Any

from catalog.items import SearchQuery, get_item, item_record, search_items
from catalog.models import Department, ServiceCategory, ServiceItem
from web.api import api
from web.api.schemas.catalog import Item, ItemPage, ItemsQuery
from web.api.typed import answer, operation, query_of, shaped
from web.auth import public
from web.db import db


def _named(record: Department | ServiceCategory) -> dict[str, str]:
    return {"code": record.code, "name": record.name, "name_en": record.name_en}


def item_json(item: ServiceItem) -> Item:
    """The API representation of a service item: its export record, department spelt out."""
    record = item_record(item)
    record["department"] = _named(item.department)
    record["category"] = _named(item.category) if item.category else None
    record["joint_departments"] = [_named(d) for d in item.joint_departments]
    return shaped(Item, record)


@api.get("/catalog/items")
@public
@operation("Search the published service items", query=ItemsQuery, answer=ItemPage)
def list_items() -> Any:
    asked = query_of(ItemsQuery)
    items, total = search_items(
        db(),
        SearchQuery(
            text=asked.q,
            category=asked.category,
            department=asked.department,
            campus=asked.campus,
            channel=asked.channel,
            limit=asked.limit,
            offset=(asked.page - 1) * asked.limit,
        ),
    )
    return answer(
        ItemPage(
            items=[item_json(item) for item in items],
            total=total,
            page=asked.page,
            limit=asked.limit,
        )
    )


@api.get("/catalog/items/<code:code>")
@public
@operation("One published service item", answer=Item, errors=(404,))
def show_item(code: str) -> Any:
    return answer(item_json(get_item(db(), code)))

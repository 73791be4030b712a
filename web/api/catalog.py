"""The public catalog API: service guides are public, no login needed."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from catalog.items import get_item, search_items
from catalog.models import ServiceItem
from catalog.transfer import item_record
from web.api import api
from web.auth import public
from web.db import db
from web.params import query_from_args

MAX_PAGE = 100


def item_json(item: ServiceItem) -> dict[str, Any]:
    """The API representation of a service item: its export record, department spelt out."""
    record = item_record(item)
    record["department"] = {
        "code": item.department.code,
        "name": item.department.name,
        "name_en": item.department.name_en,
    }
    return record


@api.get("/catalog/items")
@public
def list_items() -> Any:
    size = min(MAX_PAGE, max(1, request.args.get("limit", 50, type=int) or 50))
    query = query_from_args(request.args, page_size=size)
    items, total = search_items(db(), query)
    return jsonify(
        items=[item_json(item) for item in items],
        total=total,
        page=query.offset // size + 1,
        limit=size,
    )


@api.get("/catalog/items/<code>")
@public
def show_item(code: str) -> Any:
    return jsonify(item_json(get_item(db(), code)))

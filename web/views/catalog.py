"""The public service guide: browse, search and read service items."""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, render_template, request
from sqlalchemy import select

from catalog.items import SearchQuery, categories_with_counts, get_item, search_items
from catalog.models import Campus, Channel, Department
from tickets.models import Category
from web.auth import public
from web.db import db
from web.params import query_from_args

catalog = Blueprint("catalog", __name__, url_prefix="/catalog")


def search_page(query: SearchQuery) -> dict[str, Any]:
    """One page of search results with what the pager needs: items, total, page, pages."""
    items, total = search_items(db(), query)
    return {
        "items": items,
        "total": total,
        "page": query.offset // query.limit + 1,
        "pages": max(1, math.ceil(total / query.limit)),
    }


@catalog.get("/")
@public
def browse() -> str:
    return render_template(
        "catalog/browse.html",
        **search_page(query_from_args(request.args)),
        departments=db().scalars(select(Department).order_by(Department.code)).all(),
        campuses=db().scalars(select(Campus).order_by(Campus.code)).all(),
        channels=list(Channel),
        categories=categories_with_counts(db()),
        args=request.args,
    )


@catalog.get("/<code>")
@public
def detail(code: str) -> str:
    """An item's guide, with the ways to act on it its channels allow: send the papers by the
    courier, take a number at the hall or book a time (both in its department's queue)."""
    item = get_item(db(), code)
    queue = None
    if Channel.WINDOW in item.channels:
        queue = db().scalar(
            select(Category)
            .where(Category.department_id == item.department_id, Category.active)
            .order_by(Category.hall_id, Category.prefix)
            .limit(1)
        )
    return render_template("catalog/detail.html", item=item, queue=queue)

"""What requests carry, read the same way by pages and the API."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, request

from catalog.items import SearchQuery
from catalog.models import Channel
from core.errors import N_, Problem, ValidationFailed
from core.idempotency import checked_key

PAGE_SIZE = 20


def label_key() -> str:
    return str(current_app.config["COURIER_SETTINGS"].label_key)


def import_limit() -> int:
    """The largest import read (``COURIER_MAX_IMPORT_BYTES``)."""
    return int(current_app.config["COURIER_SETTINGS"].max_import_bytes)


def phone_regions() -> tuple[str, ...]:
    """The regions whose mobile numbers forms accept (``COURIER_PHONE_REGIONS``)."""
    regions: tuple[str, ...] = current_app.config["COURIER_SETTINGS"].phone_regions
    return regions


#: The header an API client sends its idempotency key in.
IDEMPOTENCY_HEADER = "Idempotency-Key"


def form_key() -> str:
    """The one-time key a form was rendered with (``form_key``; empty if it has none)."""
    return checked_key(request.form.get("form_key"), "form_key")


def header_key() -> str:
    """The API request's ``Idempotency-Key`` header (empty if it has none)."""
    return checked_key(request.headers.get(IDEMPOTENCY_HEADER), IDEMPOTENCY_HEADER)


def base_url() -> str:
    """Where people reach this site from outside (the links that notices carry)."""
    return str(current_app.config["COURIER_SETTINGS"].base_url)


def push_origin() -> str:
    """Where display boards reach the push server from the page being served: nothing (the
    same origin) behind a proxy, which routes the streams there; else this host at the push
    server's port."""
    settings = current_app.config["COURIER_SETTINGS"]
    if settings.proxy_hops:
        return ""
    host = urlsplit(request.host_url).hostname or "localhost"
    if ":" in host:
        host = f"[{host}]"
    return f"{request.scheme}://{host}:{settings.push_port}"


def parse_time(value: Any, field: str) -> dt.datetime | None:
    """An ISO 8601 time; without an offset it is taken as campus time."""
    if value in (None, ""):
        return None
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed([Problem(field, N_("Write the time in ISO 8601."))]) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=current_app.config["COURIER_SETTINGS"].tz)
    return parsed


def query_from_args(args: Any, page_size: int = PAGE_SIZE, **overrides: Any) -> SearchQuery:
    """A search from query-string arguments ``q``, ``category``, ``department``, ``campus``,
    ``channel``."""
    channel = args.get("channel") or None
    page = max(1, args.get("page", 1, type=int) or 1)
    return SearchQuery(
        text=args.get("q", "")[:100],
        category=(args.get("category") or "")[:24] or None,
        department=args.get("department") or None,
        campus=args.get("campus") or None,
        channel=Channel(channel) if channel in Channel.__members__.values() else None,
        limit=page_size,
        offset=(page - 1) * page_size,
        **overrides,
    )

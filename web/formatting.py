"""Template helpers: local times, names in the page's language, channel and status labels."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask, current_app
from flask_babel import lazy_gettext

from catalog.models import Channel, ItemStatus, LocationKind, MaterialForm
from web.i18n import LANGUAGE_NAMES, current_language

LABELS: dict[Any, Any] = {
    Channel.ONLINE: lazy_gettext("Online"),
    Channel.WINDOW: lazy_gettext("At a window"),
    Channel.SELF_SERVICE: lazy_gettext("Self-service"),
    Channel.COURIER_PROXY: lazy_gettext("Courier proxy"),
    ItemStatus.DRAFT: lazy_gettext("Draft"),
    ItemStatus.PUBLISHED: lazy_gettext("Published"),
    ItemStatus.RETIRED: lazy_gettext("Retired"),
    MaterialForm.ORIGINAL: lazy_gettext("Original"),
    MaterialForm.COPY: lazy_gettext("Copy"),
    LocationKind.HALL: lazy_gettext("Service hall"),
    LocationKind.OFFICE: lazy_gettext("Office"),
    LocationKind.SHUTTLE_STOP: lazy_gettext("Shuttle stop"),
    LocationKind.LOCKER_SITE: lazy_gettext("Locker site"),
}


def label(value: Any) -> str:
    """The display label of an enum value in the page's language."""
    for enum_type in (Channel, ItemStatus, MaterialForm, LocationKind):
        try:
            return str(LABELS[enum_type(value)])
        except (ValueError, KeyError):
            continue
    return str(value)


def localized(record: Any, attribute: str = "name") -> str:
    """``record.name_en`` on English pages when it has one, else ``record.name``."""
    if current_language() == "en":
        english = getattr(record, f"{attribute}_en", "")
        if english:
            return str(english)
    return str(getattr(record, attribute))


def local_time(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    return value.astimezone(current_app.config["COURIER_SETTINGS"].tz).strftime(fmt)


def init_formatting(app: Flask) -> None:
    app.jinja_env.filters.update(label=label, localized=localized, local_time=local_time)
    app.jinja_env.globals.update(
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        current_locale=current_language,
        Channel=Channel,
    )

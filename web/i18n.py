"""Languages: zh-CN by default, English as the second; catalogs read straight from .po files."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import Any

from babel import support
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import current_app, g, request, session
from flask_babel import Babel, Domain, get_locale
from werkzeug.datastructures import LanguageAccept

from core.clock import SHANGHAI
from core.config import LANGUAGES

TRANSLATIONS = Path(__file__).parent / "translations"
#: Display names for the language switch, each in its own language.
LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}


@cache
def translations(locale: str) -> support.Translations | support.NullTranslations:
    """The catalog of ``locale`` (``zh_CN`` or ``en``), read from its .po file once."""
    path = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return support.NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return support.Translations(buffer)


def current_language() -> str:
    """``zh_CN`` or ``en``: Babel spells the Chinese locale ``zh_Hans_CN``, so compare languages."""
    locale = get_locale()
    return "zh_CN" if locale is None or locale.language == "zh" else "en"


class PoDomain(Domain):
    """Reads the .po files themselves, so no compiled .mo file needs to be built or committed."""

    def get_translations(self) -> Any:
        return translations(current_language())


def accepted_language(accept: LanguageAccept) -> str | None:
    """``zh_CN`` or ``en``, whichever an Accept-Language header prefers; None when it names
    neither."""
    best = accept.best_match(["zh_CN", "zh", "en"])
    if best is None:
        return None
    return "zh_CN" if best.startswith("zh") else best


def select_locale() -> str:
    """The caller's language: an explicit choice, then the account's, then (API only) the
    Accept-Language header, then the site default."""
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    user = g.get("user")
    if user is not None and user.language in LANGUAGES:
        return str(user.language)
    if request.path.startswith("/api/"):
        best = accepted_language(request.accept_languages)
        if best:
            return best
    return str(current_app.config["COURIER_SETTINGS"].language)


def init_i18n(app: Any) -> None:
    """Pages in the visitor's language (see :func:`select_locale`), times in Shanghai's."""
    babel = Babel(
        app,
        locale_selector=select_locale,
        timezone_selector=lambda: SHANGHAI.key,
    )
    babel.domain_instance = PoDomain()  # type: ignore[misc]

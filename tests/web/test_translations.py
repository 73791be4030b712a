"""Every message the product shows has a Chinese translation with the same placeholders."""

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def extracted_messages():
    method_map = [
        ("core/**.py", "python"),
        ("catalog/**.py", "python"),
        ("web/**.py", "python"),
        ("services/**.py", "python"),
        ("feedback/**.py", "python"),
        ("web/templates/**.html", "jinja2"),
    ]
    keywords = {"_": None, "gettext": None, "lazy_gettext": None, "N_": None, "ngettext": (1, 2)}
    messages = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, keywords=keywords
    ):
        # A plural (ngettext) comes as (singular, plural): the catalog knows it by the singular.
        messages.add(message if isinstance(message, str) else message[0])
    return messages


def chinese_catalog():
    path = ROOT / "web/translations/zh_CN/LC_MESSAGES/messages.po"
    with path.open("rb") as po:
        return read_po(po, locale="zh_CN")


def test_every_message_has_a_chinese_translation():
    catalog = chinese_catalog()
    missing = sorted(
        m for m in extracted_messages() if not (catalog.get(m) and catalog.get(m).string)
    )
    assert missing == []


def _forms(text: str | tuple[str, ...]) -> tuple[str, ...]:
    return (text,) if isinstance(text, str) else text


def test_translations_keep_their_placeholders():
    wrong = [
        message.id
        for message in chinese_catalog()
        if message.id
        and any(
            sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(translated))
            for source in _forms(message.id)
            for translated in _forms(message.string)
        )
    ]
    assert wrong == []


def test_plurals_are_translated_with_the_number():
    plurals = [message for message in chinese_catalog() if isinstance(message.id, tuple)]
    assert plurals
    assert all("%(num)d" in message.string[0] for message in plurals)

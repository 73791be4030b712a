"""Every message the product shows has a Chinese translation with the same placeholders."""

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def extracted_messages():
    method_map = [
        ("core/**.py", "python"),
        ("catalog/**.py", "python"),
        ("web/**.py", "python"),
        ("web/templates/**.html", "jinja2"),
    ]
    keywords = {"_": None, "gettext": None, "lazy_gettext": None, "N_": None}
    messages = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, keywords=keywords
    ):
        if isinstance(message, str):
            messages.add(message)
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


def test_translations_keep_their_placeholders():
    wrong = [
        message.id
        for message in chinese_catalog()
        if message.id
        and sorted(PLACEHOLDER.findall(message.id)) != sorted(PLACEHOLDER.findall(message.string))
    ]
    assert wrong == []

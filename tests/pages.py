"""Reading a page as its user does: the text, without the markup."""

from __future__ import annotations

import html
import re
from typing import Any


def visible_text(response: Any) -> str:
    """The response's HTML as text, tags dropped and white space collapsed to single spaces."""
    markup = response.get_data(as_text=True)
    markup = re.sub(r"<(script|style)\b.*?</\1>", " ", markup, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup))).strip()

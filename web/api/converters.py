"""Path parameters the database can hold: a number past the id columns' range, or a code with
a NUL or longer than any code, is no address (404), never a database error."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map, UnicodeConverter, ValidationError

from web.api.schemas.common import MAX_ID

#: Longest code any path names (tracking codes, item codes, controllers).
MAX_CODE = 64


class IdConverter(IntegerConverter):
    """A row's id or a window's number: a whole number from 0 to the largest INTEGER."""

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=0, max=MAX_ID)


class CodeConverter(UnicodeConverter):
    """A code: up to :data:`MAX_CODE` characters, no slash, no NUL."""

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, maxlength=MAX_CODE)

    def to_python(self, value: str) -> str:
        # A NUL is refused here (a 404 too): the length is all the pattern can say.
        if "\x00" in value:
            raise ValidationError
        return value


#: Name in the rule -> converter, and the OpenAPI schema of what it accepts.
CONVERTERS: dict[str, tuple[type[Any], dict[str, Any]]] = {
    "id": (IdConverter, {"type": "integer", "minimum": 0, "maximum": MAX_ID}),
    "code": (
        CodeConverter,
        {"type": "string", "minLength": 1, "maxLength": MAX_CODE, "pattern": "^[^/\\x00]+$"},
    ),
}

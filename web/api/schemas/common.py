"""Types every area shares: bounded text and numbers, and the error body."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta
from sqlalchemy import Column, String
from sqlalchemy.orm import InstrumentedAttribute

#: PostgreSQL refuses NUL in text (SQLite keeps it silently): no request text may carry one.
NO_NUL = "^[^\\x00]*$"

#: The largest INTEGER, what ids and numbers are stored as: beyond it is never an existing row
#: (and PostgreSQL refuses to compare a column with it).
MAX_ID = 2**31 - 1
#: The largest BIGINT, what device sequence numbers are stored as.
MAX_BIGINT = 2**63 - 1

Id = Annotated[int, Meta(ge=0, le=MAX_ID)]
Seq = Annotated[int, Meta(ge=0, le=MAX_BIGINT)]
Count = Annotated[int, Meta(ge=0)]


def text(max_length: int, *, min_length: int = 0, description: str = "") -> Any:
    """A string type of at most ``max_length`` characters that carries no NUL."""
    extra = {"description": description} if description else {}
    return Annotated[
        str,
        Meta(min_length=min_length, max_length=max_length, pattern=NO_NUL, **extra),
    ]


def column_text(column: InstrumentedAttribute[Any], *, min_length: int = 0) -> Any:
    """A string type as long as ``column`` holds, so every database stores what passes."""
    sql_column = column.property.columns[0]
    assert isinstance(sql_column, Column)
    assert isinstance(sql_column.type, String)
    length = sql_column.type.length
    assert length is not None, f"{column} has no length"
    return text(length, min_length=min_length)


class Problem(msgspec.Struct):
    field: str | None
    line: int | None
    message: str


class ErrorDetail(msgspec.Struct):
    code: str
    message: str
    problems: list[Problem] = msgspec.field(default_factory=list)


class Error(msgspec.Struct):
    """Every refusal: a stable code, a message in the caller's language, problems per field."""

    error: ErrorDetail

"""Declared operations: request bodies and queries decoded from types, answers encoded by them.

``@operation(...)`` records what an operation takes and answers; :mod:`web.api.document` builds
``/api/openapi.json`` from these records, so the document cannot drift from the code.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import msgspec
from flask import Response, abort, request

from core.errors import N_, Problem, ValidationFailed

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

#: How msgspec names the place of a problem: ``... - at `$.contents.pages```.
_AT = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)


@dataclass(frozen=True)
class Link:
    """An OpenAPI link: ``parameter`` of operation ``target`` is ``expression`` of this answer."""

    name: str
    target: str
    parameters: dict[str, str]


@dataclass(frozen=True)
class Operation:
    """What one API operation takes and answers, for decoding and for the document."""

    summary: str
    #: The success answer's type (a Struct), or None for no body.
    answer: Any = None
    status: int = 200
    #: The JSON body's type, or ``{media type: JSON schema}`` for a form or an upload.
    body: Any = None
    #: The query string's type (a Struct of scalar fields).
    query: Any = None
    #: Refusals besides those the body, query and access imply (400, 401, 403, 422).
    errors: tuple[int, ...] = ()
    description: str = ""
    #: Media types of a binary success answer (an image, a PDF) instead of ``answer``.
    media: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    #: Other success statuses and their answer types.
    also: dict[int, Any] = field(default_factory=dict)
    #: Whether the operation honours an ``Idempotency-Key`` header (a retry answers with the
    #: first result).
    idempotent: bool = False


def operation(summary: str, **details: Any) -> Callable[[F], F]:
    """Declare a view's operation (see :class:`Operation` for the details it takes)."""

    def declare(view: F) -> F:
        view._operation = Operation(summary, **details)  # type: ignore[attr-defined]
        return view

    return declare


def _problem(error: msgspec.ValidationError, root: str) -> Problem:
    match = _AT.match(str(error))
    assert match is not None  # the pattern matches every string
    path = (match["path"] or "").lstrip(".")
    # msgspec writes list positions as ``[3]``; the problem names the field they belong to.
    field_name = re.sub(r"\[\d+\]", "", path) or root
    return Problem(field_name, N_("Not valid: %(detail)s"), detail=match["message"])


def body_of(kind: type[T]) -> T:
    """The request's JSON body as ``kind``: 400 if it is not JSON, 422 naming the field that
    does not fit. msgspec checks types while parsing, so deep nesting never reaches a field."""
    try:
        return msgspec.json.decode(request.get_data(), type=kind)
    except msgspec.ValidationError as error:
        raise ValidationFailed([_problem(error, "body")]) from None
    except (msgspec.DecodeError, RecursionError):
        abort(400)


def query_of(kind: type[T]) -> T:
    """The query string as ``kind``; numbers arrive as text and are converted, then bounded."""
    try:
        return msgspec.convert(request.args.to_dict(), kind, strict=False)
    except msgspec.ValidationError as error:
        raise ValidationFailed([_problem(error, "query")]) from None


def answer(value: Any, status: int = 200) -> Response:
    """``value`` (a declared type) as a JSON answer."""
    return Response(msgspec.json.encode(value), status=status, mimetype="application/json")


def shaped(kind: type[T], data: Any) -> T:
    """Plain data built by a domain helper, checked into its declared answer type."""
    return msgspec.convert(data, kind)


def shaped_answer(kind: type[Any], **data: Any) -> Response:
    """An answer of type ``kind`` from plain data (see :func:`shaped`)."""
    return answer(shaped(kind, data))

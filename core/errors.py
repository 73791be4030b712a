"""Domain errors: a stable code for machines and a message the web layer translates.

Messages are English message ids with ``%(name)s`` placeholders; ``web`` looks them up in the
caller's language. Domain code marks them with :func:`N_` so that extraction finds them.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it here."""
    return message


class DomainError(Exception):
    """A refusal the user can act on. ``status`` is the HTTP status the web layer answers with."""

    status = 400

    def __init__(self, code: str, message: str, /, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.code = code
        self.message = message
        self.params = params


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409


class ValidationFailed(DomainError):
    """Several field-level problems at once; ``problems`` lists ``(where, message, params)``."""

    status = 422

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("invalid", N_("The data has %(count)s problem(s)."), count=len(problems))
        self.problems = problems


@dataclass
class Problem:
    """One field-level problem: the field, the message id with its parameters, the line if any."""

    field: str
    message: str
    line: int | None = None
    params: dict[str, Any] = dataclass_field(default_factory=dict)

    def __init__(self, field: str, message: str, /, line: int | None = None, **params: Any) -> None:
        self.field, self.message, self.line, self.params = field, message, line, params

    @property
    def text(self) -> str:
        """The message in English, with its parameters filled in."""
        return self.message % self.params if self.params else self.message

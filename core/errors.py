"""Domain errors: a stable code for machines and a message the web layer translates.

Messages are English message ids with ``%(name)s`` placeholders; ``web`` looks them up in the
caller's language. Domain code marks them with :func:`N_` so that extraction finds them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

#: The refusals of the unit of work being watched (see :func:`watch_refusals`).
_refusals: ContextVar[list[DomainError] | None] = ContextVar("refusals", default=None)


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
        refusals = _refusals.get()
        if refusals is not None:
            refusals.append(self)


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


@contextmanager
def watch_refusals() -> Iterator[list[DomainError]]:
    """Collect every :class:`DomainError` raised inside the block, caught or not.

    An entry point that answers a refusal in many ways (an error page, a redirect with a
    message, the form again) decides in one place to commit nothing when the list is not
    empty, instead of each handler remembering to roll back what was flushed before the
    refusal. Domain errors are only ever built to be raised, so building one is the signal.
    """
    refusals: list[DomainError] = []
    token = _refusals.set(refusals)
    try:
        yield refusals
    finally:
        _refusals.reset(token)

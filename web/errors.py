"""Errors answer in the caller's language: JSON ``{error: {code, message}}`` under ``/api``,
a page elsewhere."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from core.errors import N_, DomainError, ValidationFailed
from core.throttle import TooManyAttempts
from web.formatting import translate

HTTP_MESSAGES = {
    400: ("bad_request", N_("The request could not be understood.")),
    401: ("unauthorized", N_("Log in first.")),
    403: ("forbidden", N_("You do not have access to this page.")),
    404: ("not_found", N_("There is nothing at this address.")),
    405: ("method_not_allowed", N_("This address does not accept that method.")),
    413: ("too_large", N_("The upload is too large (at most %(mb)s MB).")),
    429: ("too_many_attempts", N_("Too many attempts. Wait a few minutes and try again.")),
    500: ("server_error", N_("Something went wrong on our side. Please try again.")),
}


def problem_list(error: DomainError) -> list[dict[str, Any]]:
    """The problems of ``error``, translated, for JSON answers and forms that show them inline."""
    if isinstance(error, ValidationFailed):
        return [
            {"field": p.field, "line": p.line, "message": translate(p.message, p.params)}
            for p in error.problems
        ]
    return [{"field": None, "line": None, "message": translate(error.message, error.params)}]


def too_many_attempts_message(refused: TooManyAttempts) -> str:
    """The translated refusal of a throttle, saying how long to wait."""
    return translate(refused.message, refused.params)


def wants_json() -> bool:
    """API calls, and pages' scripts that ask for JSON, get errors as JSON."""
    if request.path.startswith("/api/") or request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _answer(status: int, code: str, message: str, **extra: Any) -> tuple[Response | str, int]:
    if wants_json():
        body: dict[str, Any] = {"code": code, "message": message, **extra}
        return jsonify(error=body), status
    return render_template("errors/error.html", status=status, message=message, **extra), status


def init_errors(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(error: DomainError) -> Any:
        extra = {"problems": problem_list(error)} if isinstance(error, ValidationFailed) else {}
        return _answer(error.status, error.code, translate(error.message, error.params), **extra)

    @app.errorhandler(TooManyAttempts)
    def _throttled(error: TooManyAttempts) -> Any:
        body, status = _answer(429, "too_many_attempts", too_many_attempts_message(error))
        response = app.make_response((body, status))
        response.headers["Retry-After"] = str(error.retry_after)
        return response

    @app.errorhandler(CSRFError)
    def _csrf(_error: CSRFError) -> Any:
        return _answer(
            400, "csrf", gettext("The form has expired. Go back, reload the page and try again.")
        )

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Any:
        status = error.code or 500
        code, message = HTTP_MESSAGES.get(status, ("http_error", error.description or ""))
        mb = app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
        return _answer(status, code, gettext(message, mb=mb) if status == 413 else gettext(message))

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Any:
        app.logger.exception("unhandled error", exc_info=error)
        code, message = HTTP_MESSAGES[500]
        return _answer(500, code, gettext(message))

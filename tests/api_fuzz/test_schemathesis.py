"""The API under schemathesis: every operation as anonymous and as each demo role, each operation
in depth as a caller it serves, and the consignment's life followed along the document's links.

``COURIER_SCHEMATHESIS_EXAMPLES`` sets the examples per operation (small by default, for CI).
The document is the one the app generates; the calls go to the live server of ``fuzz_server``.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from core.config import Settings
from web.api.document import openapi_document
from web.app import create_app
from web.auth import ANY_USER, PUBLIC
from web.demo import DEMO_JOURNEYS, DEMO_USERS

#: Examples per operation in depth: small in CI, larger when asked.
EXAMPLES = int(os.environ.get("COURIER_SCHEMATHESIS_EXAMPLES", "") or 6)

CHECKS: list[CheckFunction] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

_app = create_app(
    Settings(database_url="sqlite://", mqtt_url=None, secret_key="d", label_key="d", code_key="d")
)
schema = schemathesis.openapi.from_dict(openapi_document(_app))


def _caller(access: Any) -> str:
    """A demo user the operation serves: anonymous for public ones, else the first whose
    roles it names (administrators only where nobody else may)."""
    if access == PUBLIC:
        return "anonymous"
    if access == ANY_USER:
        return "teacher"
    served = [user.login for user in DEMO_USERS if user.roles & access]
    return next((login for login in served if login != "admin"), "admin")


#: operationId -> the caller that explores it in depth.
CALLERS = {
    endpoint: _caller(getattr(view, "_access", None))
    for endpoint, view in _app.view_functions.items()
    if endpoint.startswith("api.")
}


#: A submission the demo teacher can make (the rest of the body is generated).
SUBMISSION = {
    "service_item": DEMO_JOURNEYS[0][0],
    "origin_campus": None,
    "pickup_campus": None,
    "recipient": {"self": True},
    "accept_later": True,
}


def _headers(login: str, tokens: dict[str, str]) -> dict[str, str]:
    return {} if login == "anonymous" else {"Authorization": f"Bearer {tokens[login]}"}


@schema.parametrize()
@settings(
    max_examples=1,
    phases=[Phase.generate],
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
@pytest.mark.parametrize("login", ["anonymous", *(user.login for user in DEMO_USERS)])
def test_every_operation_answers_every_caller_as_documented(
    case: schemathesis.Case, login: str, fuzz_server: str, tokens: dict[str, str]
) -> None:
    case.call_and_validate(base_url=fuzz_server, headers=_headers(login, tokens), checks=CHECKS)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_operation_keeps_to_its_document_for_a_caller_it_serves(
    case: schemathesis.Case, fuzz_server: str, tokens: dict[str, str]
) -> None:
    login = CALLERS[case.operation.definition.raw["operationId"]]
    case.call_and_validate(base_url=fuzz_server, headers=_headers(login, tokens), checks=CHECKS)


def test_a_consignment_is_followed_from_creation_along_the_documents_links(
    fuzz_server: str, tokens: dict[str, str]
) -> None:
    headers = _headers("teacher", tokens)

    life = schema.include(path_regex="^/api/consignments")

    class ConsignmentLife(life.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: schemathesis.Case) -> None:
            # Random codes name no item or campus: submit what the demo teacher can send, so
            # that the life goes on to the linked reads, label and events.
            if case.operation.label == "POST /api/consignments":
                case.body = {**case.body, **SUBMISSION}

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"base_url": fuzz_server, "headers": headers}

        def validate_response(self, response: Any, case: schemathesis.Case, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS)

    ConsignmentLife.run(
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=4,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
    )

"""``/api/openapi.json``, generated from the declared operations and the URL map.

Each route's ``@operation`` gives its bodies; its access (``web.auth``) gives 401 and 403; its
converters give its path parameters. Nothing here is written by hand per operation.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from flask import Flask, current_app
from werkzeug.routing import Rule

from core.idempotency import MAX_KEY
from web.api import api
from web.api.converters import CONVERTERS
from web.api.schemas.common import Error
from web.api.typed import Operation, answer, operation
from web.auth import PUBLIC, public
from web.params import IDEMPOTENCY_HEADER

_REF = "#/components/schemas/{name}"
_PARAMETER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")

#: What each refusal means, as the document describes it.
_MEANINGS = {
    400: "Not understood (a body that is not JSON), or refused as `code` says",
    401: "No valid bearer token",
    403: "The caller's roles do not allow this",
    404: "No such thing (or not one the caller may see)",
    409: "The thing's state does not allow it now",
    413: "The upload is too large",
    422: "A field is not valid; `problems` names each",
    429: "Too many attempts; wait a few minutes",
}


def _path(rule: Rule) -> str:
    return _PARAMETER.sub(r"{\2}", rule.rule)


#: The ``Idempotency-Key`` header, on the operations that honour it.
IDEMPOTENCY_KEY = {
    "name": IDEMPOTENCY_HEADER,
    "in": "header",
    "description": "Any one-time text; a retry with the same key answers with the first result.",
    "schema": {"type": "string", "maxLength": MAX_KEY, "pattern": "^[ -~]*$"},
}


def _parameters(rule: Rule, op: Operation, components: dict[str, Any]) -> list[dict[str, Any]]:
    parameters = []
    query = op.query
    for converter, name in _PARAMETER.findall(rule.rule):
        schema = CONVERTERS[converter][1] if converter in CONVERTERS else {"type": "string"}
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    if query is not None:
        properties = components[query.__name__]["properties"]
        for field in msgspec.structs.fields(query):
            name = field.encode_name
            parameters.append({"name": name, "in": "query", "schema": properties[name]})
    if op.idempotent:
        parameters.append(IDEMPOTENCY_KEY)
    return parameters


def _content(kind: Any, schemas: dict[Any, Any]) -> dict[str, Any]:
    if isinstance(kind, dict):
        return {media: {"schema": schema} for media, schema in kind.items()}
    return {"application/json": {"schema": schemas[kind]}}


def _links(op: Operation) -> dict[str, Any]:
    return {
        link.name: {"operationId": link.target, "parameters": link.parameters} for link in op.links
    }


def _responses(op: Operation, access: Any, schemas: dict[Any, Any]) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, kind in {op.status: op.answer, **op.also}.items():
        entry: dict[str, Any] = {"description": "OK" if status < 300 else "Done"}
        if op.media and status == op.status:
            entry["content"] = {
                media: {"schema": {"type": "string", "format": "binary"}} for media in op.media
            }
        elif kind is not None:
            entry["content"] = _content(kind, schemas)
        if op.links and status == op.status:
            entry["links"] = _links(op)
        responses[str(status)] = entry
    refusals = set(op.errors)
    if op.body is not None or op.query is not None:
        refusals |= {422}
    if op.body is not None:
        refusals |= {400}
    if access != PUBLIC:
        refusals |= {401}
    if isinstance(access, frozenset):
        refusals |= {403}
    for status in sorted(refusals):
        responses[str(status)] = {"$ref": f"#/components/responses/{status}"}
    return responses


def _roles(access: Any) -> str:
    if isinstance(access, frozenset):
        return "Roles: " + ", ".join(sorted(str(role) for role in access)) + "."
    return ""


def _operation(
    rule: Rule, op: Operation, access: Any, schemas: dict[Any, Any], components: dict[str, Any]
) -> Any:
    entry: dict[str, Any] = {
        "operationId": rule.endpoint,
        "summary": op.summary,
        "responses": _responses(op, access, schemas),
    }
    description = " ".join(part for part in (op.description, _roles(access)) if part)
    if description:
        entry["description"] = description
    if access == PUBLIC:
        entry["security"] = []
    parameters = _parameters(rule, op, components)
    if parameters:
        entry["parameters"] = parameters
    if op.body is not None:
        entry["requestBody"] = {"required": True, "content": _content(op.body, schemas)}
    return entry


def _declared(app: Flask) -> list[tuple[Rule, Operation, Any]]:
    found = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        op = getattr(view, "_operation", None)
        if rule.endpoint.startswith(f"{api.name}.") and op is not None:
            found.append((rule, op, getattr(view, "_access", None)))
    return sorted(found, key=lambda found: (found[0].rule, found[0].endpoint))


def _types(declared: list[tuple[Rule, Operation, Any]]) -> list[Any]:
    kinds: list[Any] = [Error]
    for _, op, _access in declared:
        for kind in (op.answer, op.body, op.query, *op.also.values()):
            if kind is not None and not isinstance(kind, dict) and kind not in kinds:
                kinds.append(kind)
    return kinds


def openapi_document(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every declared operation of ``app``'s API."""
    declared = _declared(app)
    kinds = _types(declared)
    schema_list, components = msgspec.json.schema_components(kinds, ref_template=_REF)
    schemas = dict(zip(kinds, schema_list, strict=True))
    paths: dict[str, dict[str, Any]] = {}
    for rule, op, access in declared:
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(_path(rule), {})[method.lower()] = _operation(
                rule, op, access, schemas, components
            )
    error = {"application/json": {"schema": schemas[Error]}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "campus-courier API",
            "version": "1",
            "description": (
                "Cross-campus document courier and one-stop service hall. Errors are "
                "`{error: {code, message, problems}}` in the caller's language "
                "(Accept-Language: zh-CN or en). Authenticate with "
                "`Authorization: Bearer <token>` from `POST /api/auth/token`."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": components,
            "responses": {
                str(status): {"description": meaning, "content": error}
                for status, meaning in _MEANINGS.items()
            },
        },
    }


@api.get("/openapi.json")
@public
@operation("This document", answer=dict[str, Any])
def openapi() -> Any:
    return answer(openapi_document(current_app))

"""The OpenAPI 3.1 description of the JSON API, served at ``/api/openapi.json``."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from web.api import api
from web.auth import public

_ERROR = {"$ref": "#/components/responses/Error"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "campus-courier API",
        "version": "1",
        "description": (
            "Cross-campus document courier and one-stop service hall. Errors are "
            "`{error: {code, message}}` in the caller's language (Accept-Language: zh-CN or en). "
            "Authenticate with `Authorization: Bearer <token>` from `POST /api/auth/token`."
        ),
    },
    "servers": [{"url": "/"}],
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error"],
                "properties": {
                    "error": {
                        "type": "object",
                        "required": ["code", "message"],
                        "properties": {
                            "code": {"type": "string"},
                            "message": {"type": "string"},
                            "problems": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "field": {"type": ["string", "null"]},
                                        "line": {"type": ["integer", "null"]},
                                        "message": {"type": "string"},
                                    },
                                },
                            },
                        },
                    }
                },
            },
            "Material": {
                "type": "object",
                "required": ["name", "form", "copies"],
                "properties": {
                    "name": {"type": "string"},
                    "name_en": {"type": "string"},
                    "form": {"type": "string", "enum": ["original", "copy"]},
                    "copies": {"type": "integer", "minimum": 1},
                    "notes": {"type": "string"},
                },
            },
            "ServiceItem": {
                "type": "object",
                "required": [
                    "code",
                    "name",
                    "department",
                    "campuses",
                    "channels",
                    "proxy_allowed",
                    "materials",
                    "time_limit_days",
                    "status",
                ],
                "properties": {
                    "code": {"type": "string", "examples": ["ACAD-001"]},
                    "name": {"type": "string"},
                    "name_en": {"type": "string"},
                    "department": {
                        "type": "object",
                        "properties": {
                            "code": {"type": "string"},
                            "name": {"type": "string"},
                            "name_en": {"type": "string"},
                        },
                    },
                    "campuses": {"type": "array", "items": {"type": "string"}},
                    "channels": {
                        "type": "array",
                        "items": {
                            "type": "string",
                            "enum": ["online", "window", "self_service", "courier_proxy"],
                        },
                    },
                    "proxy_allowed": {"type": "boolean"},
                    "materials": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/Material"},
                    },
                    "time_limit_days": {
                        "type": "integer",
                        "minimum": 0,
                        "description": "Working days; 0 means handled on the spot.",
                    },
                    "fee": {"type": "string", "description": "`free`, or what it costs."},
                    "legal_basis": {"type": "string"},
                    "contact": {"type": "string"},
                    "description": {"type": "string"},
                    "description_en": {"type": "string"},
                    "faq": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {"q": {"type": "string"}, "a": {"type": "string"}},
                        },
                    },
                    "status": {"type": "string", "enum": ["draft", "published", "retired"]},
                    "version": {"type": "integer"},
                },
            },
        },
        "responses": {
            "Error": _json({"$ref": "#/components/schemas/Error"}, "An error, explained"),
        },
    },
    "paths": {
        "/api/auth/token": {
            "post": {
                "summary": "Trade a login and password for a bearer token",
                "security": [],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["login", "password"],
                                "properties": {
                                    "login": {"type": "string"},
                                    "password": {"type": "string"},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["token"],
                            "properties": {"token": {"type": "string"}, "user": {"type": "object"}},
                        }
                    ),
                    "400": _ERROR,
                    "401": _ERROR,
                    "429": _ERROR,
                },
            }
        },
        "/api/catalog/items": {
            "get": {
                "summary": "Search the published service items",
                "security": [],
                "parameters": [
                    {
                        "name": name,
                        "in": "query",
                        "required": False,
                        "schema": {"type": kind},
                        "description": description,
                    }
                    for name, kind, description in (
                        ("q", "string", "Words in Chinese, English, pinyin or its initials"),
                        ("department", "string", "Department code"),
                        ("campus", "string", "Campus code"),
                        ("channel", "string", "online, window, self_service or courier_proxy"),
                        ("page", "integer", "Page number, from 1"),
                        ("limit", "integer", "Items per page, at most 100"),
                    )
                ],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "items": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/ServiceItem"},
                                },
                                "total": {"type": "integer"},
                                "page": {"type": "integer"},
                                "limit": {"type": "integer"},
                            },
                        }
                    )
                },
            }
        },
        "/api/catalog/items/{code}": {
            "get": {
                "summary": "One published service item",
                "security": [],
                "parameters": [
                    {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": _json({"$ref": "#/components/schemas/ServiceItem"}),
                    "404": _ERROR,
                },
            }
        },
        "/api/openapi.json": {
            "get": {
                "summary": "This document",
                "security": [],
                "responses": {"200": _json({"type": "object"})},
            }
        },
    },
    "security": [{"bearer": []}],
}


@api.get("/openapi.json")
@public
def openapi() -> Any:
    return jsonify(SPEC)

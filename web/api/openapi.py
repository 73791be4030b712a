"""The OpenAPI 3.1 description of the JSON API, served at ``/api/openapi.json``."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from courier.states import SCAN_KINDS, Kind, State
from web.api import api
from web.api.tickets import OPENAPI_PATHS as TICKET_PATHS
from web.auth import public

_ERROR = {"$ref": "#/components/responses/Error"}
_CODE = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}


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
            "NewConsignment": {
                "type": "object",
                "required": ["service_item"],
                "properties": {
                    "service_item": {"type": "string", "examples": ["ACAD-001"]},
                    "recipient": {
                        "oneOf": [
                            {"type": "object", "properties": {"self": {"const": True}}},
                            {
                                "type": "object",
                                "required": ["name", "phone"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "phone": {"type": "string"},
                                },
                            },
                        ]
                    },
                    "pickup_campus": {
                        "type": ["string", "null"],
                        "description": "null: the origin campus",
                    },
                    "origin_campus": {
                        "type": ["string", "null"],
                        "description": "Where it is dropped off; default: the user's campus",
                    },
                    "contents": {
                        "type": "object",
                        "properties": {
                            "pages": {"type": "integer", "minimum": 1},
                            "documents": {"type": "integer", "minimum": 1},
                            "contains_originals": {"type": "boolean"},
                            "materials": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                    "priority": {"type": "string", "enum": ["normal", "urgent"]},
                    "accept_later": {
                        "type": "boolean",
                        "description": "Submit even though no shuttle reaches the destination "
                        "within 7 days (the 422 `unreachable` error names the earliest date)",
                    },
                },
            },
            "Consignment": {
                "type": "object",
                "properties": {
                    "tracking_code": {"type": "string"},
                    "state": {"type": "string", "enum": [s.value for s in State]},
                    "due_at": {"type": "string", "format": "date-time"},
                    "eta": {
                        "type": ["string", "null"],
                        "format": "date-time",
                        "description": "From the planned route: when it is sorted at the "
                        "department (route.eta_of = department) or ready on the pickup campus",
                    },
                    "events": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "kind": {"type": "string", "enum": [k.value for k in Kind]},
                                "state": {"type": "string"},
                                "at": {"type": "string", "format": "date-time"},
                                "recorded_at": {"type": "string", "format": "date-time"},
                                "source": {"type": "string"},
                                "campus": {"type": ["string", "null"]},
                                "late": {"type": "boolean"},
                            },
                        },
                    },
                    "route": {
                        "type": "object",
                        "properties": {
                            "origin_campus": {"type": "string"},
                            "department_campus": {"type": "string"},
                            "pickup_campus": {"type": "string"},
                            "ahead": {"type": "array", "items": {"type": "string"}},
                            "eta_of": {"type": ["string", "null"]},
                            "note": {"type": ["string", "null"]},
                            "legs": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "leg": {"type": "string"},
                                        "trip": {"type": "string"},
                                        "line": {"type": "string"},
                                        "from": {"type": "string"},
                                        "to": {"type": "string"},
                                        "departs_at": {"type": "string", "format": "date-time"},
                                        "arrives_at": {"type": "string", "format": "date-time"},
                                        "status": {"type": "string"},
                                    },
                                },
                            },
                            "eta_changes": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "at": {"type": "string", "format": "date-time"},
                                        "old_eta": {"type": ["string", "null"]},
                                        "new_eta": {"type": ["string", "null"]},
                                        "reason": {"type": "string"},
                                    },
                                },
                            },
                        },
                    },
                },
            },
            "Scan": {
                "type": "object",
                "required": ["id", "code", "kind"],
                "properties": {
                    "id": {"type": "string", "description": "The scan's own UUID"},
                    "code": {"type": "string", "description": "Tracking code or label QR text"},
                    "kind": {"type": "string", "enum": list(SCAN_KINDS)},
                    "location": {"type": ["string", "null"]},
                    "at": {"type": ["string", "null"], "format": "date-time"},
                },
            },
            "ScanResult": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "ok": {"type": "boolean"},
                    "state": {"type": ["string", "null"]},
                    "reason": {"type": ["string", "null"]},
                    "code": {"type": ["string", "null"]},
                    "tracking_code": {"type": ["string", "null"]},
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
        "/api/consignments": {
            "post": {
                "summary": "Submit a consignment (teachers and students)",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/NewConsignment"}
                        }
                    },
                },
                "responses": {
                    "201": _json(
                        {
                            "type": "object",
                            "properties": {
                                "tracking_code": {"type": "string"},
                                "state": {"type": "string"},
                                "due_at": {"type": "string", "format": "date-time"},
                                "due_provisional": {"type": "boolean"},
                                "eta": {"type": ["string", "null"], "format": "date-time"},
                                "label_url": {"type": "string"},
                            },
                        },
                        "Created",
                    ),
                    "400": _ERROR,
                    "403": _ERROR,
                    "404": _ERROR,
                    "422": _ERROR,
                },
            },
            "get": {
                "summary": "My consignments, sent or to receive, newest first (mine=1)",
                "parameters": [
                    {
                        "name": "mine",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer"},
                    }
                ],
                "responses": {"200": _json({"type": "object"}), "401": _ERROR},
            },
        },
        "/api/consignments/{code}": {
            "get": {
                "summary": "One consignment with its events in order and its route",
                "parameters": [_CODE],
                "responses": {
                    "200": _json({"$ref": "#/components/schemas/Consignment"}),
                    "403": _ERROR,
                    "404": _ERROR,
                },
            }
        },
        "/api/consignments/{code}/events": {
            "get": {
                "summary": "The consignment's custody events, in device-time order",
                "parameters": [_CODE],
                "responses": {"200": _json({"type": "object"}), "403": _ERROR, "404": _ERROR},
            },
            "post": {
                "summary": "Record an event (agent accepted, result ready, damaged, ...)",
                "description": "Roles per kind; `id` makes a retry idempotent. Damaged needs "
                "`photo_id` from `POST /api/photos`.",
                "parameters": [_CODE],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["kind"],
                                "properties": {
                                    "kind": {"type": "string", "enum": [k.value for k in Kind]},
                                    "id": {"type": "string"},
                                    "notes": {"type": "string"},
                                    "photo_id": {"type": "integer"},
                                    "location": {"type": "string"},
                                    "at": {"type": "string", "format": "date-time"},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "201": _json({"type": "object"}, "Recorded"),
                    "200": _json({"type": "object"}, "Already recorded with this id"),
                    "400": _ERROR,
                    "403": _ERROR,
                    "422": _ERROR,
                },
            },
        },
        "/api/consignments/{code}/label": {
            "get": {
                "summary": "The label: PNG (thermal 60x40 mm, a6 100x150 mm) or an A4 PDF sheet",
                "parameters": [
                    _CODE,
                    {
                        "name": "format",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": ["thermal", "a6", "sheet"]},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "The label",
                        "content": {"image/png": {}, "application/pdf": {}},
                    },
                    "422": _ERROR,
                },
            }
        },
        "/api/scans": {
            "post": {
                "summary": "A batch of scans (couriers); a repeated id returns its first result",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["scans"],
                                "properties": {
                                    "scans": {
                                        "type": "array",
                                        "maxItems": 500,
                                        "items": {"$ref": "#/components/schemas/Scan"},
                                    }
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "results": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/ScanResult"},
                                }
                            },
                        }
                    ),
                    "403": _ERROR,
                    "422": _ERROR,
                },
            }
        },
        "/api/photos": {
            "post": {
                "summary": "Upload a photo (JPEG, PNG or WebP, at most 8 MB) for a damage report",
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {"photo": {"type": "string", "format": "binary"}},
                            }
                        }
                    },
                },
                "responses": {"201": _json({"type": "object"}, "Stored"), "422": _ERROR},
            }
        },
        "/api/photos/{photo_id}": {
            "get": {
                "summary": "A stored photo (staff)",
                "parameters": [
                    {
                        "name": "photo_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer"},
                    }
                ],
                "responses": {"200": {"description": "The image"}, "404": _ERROR},
            }
        },
        "/api/pickups": {
            "get": {
                "summary": "The caller's results waiting in pickup lockers: item, locker, place, "
                "compartment, expiry and the six-digit code",
                "responses": {"200": _json({"type": "array"}), "401": _ERROR},
            }
        },
        "/api/lockers": {
            "get": {
                "summary": "Every locker bank, its controller's health, its compartments (admin)",
                "responses": {"200": _json({"type": "object"}), "403": _ERROR},
            }
        },
        "/api/lockers/{controller}/events": {
            "get": {
                "summary": "A controller's stored device events in seq order (admin)",
                "parameters": [
                    {
                        "name": "controller",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "after_seq",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer"},
                    },
                ],
                "responses": {"200": _json({"type": "object"}), "403": _ERROR, "404": _ERROR},
            }
        },
        "/api/dead-letters": {
            "get": {
                "summary": "Messages that broke the MQTT contract, newest first (admin)",
                "responses": {"200": _json({"type": "object"}), "403": _ERROR},
            }
        },
        "/api/notifications": {
            "get": {
                "summary": "Notices in the outbox, newest first; ?to= filters by recipient (admin)",
                "parameters": [
                    {"name": "to", "in": "query", "required": False, "schema": {"type": "string"}}
                ],
                "responses": {"200": _json({"type": "object"}), "403": _ERROR},
            }
        },
        "/api/notifications/twilio-status": {
            "post": {
                "summary": "Twilio's status callback; refused unless X-Twilio-Signature is valid",
                "security": [],
                "responses": {"204": {"description": "recorded"}, "403": _ERROR},
            }
        },
        "/api/metrics": {
            "get": {
                "summary": "Counters for administrators: forged codes refused, scans recorded",
                "responses": {"200": _json({"type": "object"}), "403": _ERROR},
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
SPEC["paths"].update(TICKET_PATHS)


@api.get("/openapi.json")
@public
def openapi() -> Any:
    return jsonify(SPEC)

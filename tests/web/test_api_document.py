"""``/api/openapi.json`` is generated from the declared operations, statuses included."""

import pytest


@pytest.fixture
def spec(client):
    return client.get("/api/openapi.json").get_json()


def operations(spec):
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def test_every_operation_that_needs_a_login_documents_401(spec):
    needing = [name for name, op in operations(spec) if op.get("security") != []]
    assert needing
    assert [name for name, op in operations(spec) if op.get("security") != []
            and "401" not in op["responses"]] == []  # fmt: skip


def test_every_role_restricted_operation_documents_403(spec):
    restricted = [op for _, op in operations(spec) if "Roles:" in op.get("description", "")]
    assert len(restricted) >= 10
    assert all("403" in op["responses"] for op in restricted)


def test_every_operation_with_a_body_or_query_documents_422(spec):
    taking = [
        op
        for _, op in operations(spec)
        if "requestBody" in op or any(p["in"] == "query" for p in op.get("parameters", []))
    ]
    assert taking
    assert all("422" in op["responses"] for op in taking)


def test_every_json_success_names_its_schema(spec):
    for name, op in operations(spec):
        for status, response in op["responses"].items():
            schema = response.get("content", {}).get("application/json", {}).get("schema")
            if status.startswith("2") and schema is not None and name != "GET /api/openapi.json":
                assert schema != {"type": "object"}, name


def test_text_lengths_come_from_the_database_columns(spec):
    recipient = spec["components"]["schemas"]["Recipient"]["properties"]
    assert recipient["name"]["maxLength"] == 100
    assert recipient["phone"]["maxLength"] == 32


def test_id_path_parameters_are_bounded(spec):
    ticket = spec["paths"]["/api/tickets/{ticket_id}"]["get"]["parameters"][0]
    assert ticket["schema"]["maximum"] == 2**31 - 1


def test_a_created_consignment_links_to_its_reading_label_and_events(spec):
    created = spec["paths"]["/api/consignments"]["post"]["responses"]["201"]
    assert set(created["links"]) == {"read", "label", "events", "record_event"}

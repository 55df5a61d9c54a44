"""The OpenAPI document tells the truth: no 422, the error envelope on every error status, and the
bearer scheme exactly on the routes that need a key."""

from api.access_rules import RULES, Rule
from api.app import create_app
from testkit.stack import api_context

ERRORS_EVERYWHERE = {"400", "401", "404", "409", "413", "429", "503"}


def _document() -> dict:
    return create_app(api_context(None, None, "unused")).openapi()  # type: ignore[arg-type]


def test_no_operation_declares_422_and_every_error_uses_the_envelope():
    spec = _document()
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "422" not in responses, (method, path)
            assert set(responses) >= ERRORS_EVERYWHERE, (method, path, sorted(responses))
            for status in ERRORS_EVERYWHERE:
                schema = responses[status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorEnvelope"}
    assert "Retry-After" in spec["paths"]["/health"]["get"]["responses"]["429"]["headers"]


def test_the_bearer_scheme_is_on_exactly_the_keyed_routes():
    spec = _document()
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key (bf_live_…) made with `bookflow keys create`",
    }
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            keyed = RULES[(method.upper(), path)] is not Rule.PUBLIC
            assert ("security" in operation) is keyed, (method, path)
            assert ("403" in operation["responses"]) is keyed, (method, path)
    assert "security" not in spec["paths"]["/v2/bookings"]["post"]
    assert spec["paths"]["/v2/bookings"]["get"]["security"] == [{"bearerAuth": []}]

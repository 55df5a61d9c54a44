"""Bookflow's own /openapi.json documents the bookings answers as they are: each real answer validates."""

from openapi_schema_validator import OAS31Validator

from testkit.stack import event_type, seed, soon

WEEKLY = {"frequency": "weekly", "interval": 1, "occurrences": 2}


def _problems(spec: dict, path: str, method: str, status: str, body: dict) -> list[str]:
    schema = spec["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]
    validator = OAS31Validator({**schema, "components": spec["components"]})
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)]


async def test_every_bookings_answer_matches_the_document(stack):
    await seed(stack.db, event_type(1), event_type(2, recurrence=WEEKLY, requires_confirmation=True))
    spec = (await stack.http.get("/openapi.json")).json()
    operation = spec["paths"]["/v2/bookings"]["post"]
    assert "cal-api-version" in {p["name"] for p in operation["parameters"]}
    assert "recurrenceCount" in spec["components"]["schemas"]["CreateBooking"]["properties"]
    assert "cancelSubsequentBookings" in spec["components"]["schemas"]["Cancel"]["properties"]

    attendee = {"name": "Bo", "email": "bo@example.com", "timeZone": "UTC", "phoneNumber": "+14155550123"}
    single = await stack.http.post(
        "/v2/bookings", json={"start": soon(3600).isoformat(), "eventTypeId": 1, "attendee": attendee}
    )
    series = await stack.http.post(
        "/v2/bookings", json={"start": soon(7200).isoformat(), "eventTypeId": 2, "attendee": attendee}
    )
    answers = [("/v2/bookings", "post", single), ("/v2/bookings", "post", series)]
    first, series_uid = series.json()["data"][0]["uid"], series.json()["data"][0]["recurringBookingUid"]
    answers.append(("/v2/bookings/{uid}", "get", await stack.http.get(f"/v2/bookings/{series_uid}")))
    answers.append(("/v2/bookings/{uid}", "get", await stack.http.get(f"/v2/bookings/{first}")))
    confirm = await stack.http.post(f"/v2/bookings/{first}/confirm", json={"reason": "ok"})
    answers.append(("/v2/bookings/{uid}/confirm", "post", confirm))
    cancel = await stack.http.post(f"/v2/bookings/{series_uid}/cancel", json={"cancellationReason": "off"})
    answers.append(("/v2/bookings/{uid}/cancel", "post", cancel))
    for path, method, response in answers:
        assert response.status_code in (200, 201), response.text
        assert response.headers["cal-api-version"] == "2024-08-13"
        found = _problems(spec, path, method, str(response.status_code), response.json())
        assert not found, (method, path, found[:5])

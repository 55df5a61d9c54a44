"""Recording the routing workflows' histories (`python -m tests.support.routing_histories`).

Writes only routing_*.json, booking_from_routing_response.json and wrong_assignment_report.json into
tests/histories/, leaving every other recorded history alone.
"""

import asyncio
import os

from domain.routing_responses import response_workflow_id
from store import routing as routing_store
from store.db import Database
from testkit.access import TEST_SECRET_KEYS
from testkit.devserver import start_dev_server
from testkit.stack import Stack, soon
from tests.routing_integration.support import ROUND_ROBIN, routing_stack, sales_form, seed_org
from tests.support.histories import HISTORIES, save_history


async def _filler(stack: Stack, response_id: int) -> str:
    async with stack.db.sessions() as session:
        return (await routing_store.get_response(session, response_id)).form_filler_id


async def _submit(stack: Stack, answers: dict) -> dict:
    response = await stack.http.post("/v2/routing-forms/talk-to-sales/responses", json=answers)
    assert response.status_code == 201, response.text
    return response.json()["data"]


async def _routing_scenarios(stack: Stack) -> None:
    await seed_org(stack.db)
    assert (await stack.http.post("/v2/routing-forms", json=sales_form())).status_code == 201

    routed = (await _submit(stack, {"email": "kim@bigcorp.com", "seats": 150, "country": "France"}))["routing"]
    body = {
        "start": soon(3600).isoformat(),
        "eventTypeId": ROUND_ROBIN,
        "attendee": {"name": "Kim", "email": "kim@bigcorp.com", "timeZone": "UTC"},
        "routing": {"responseId": routed["responseId"], "bookingToken": routed["bookingToken"]},
    }
    made = await stack.http.post("/v2/bookings", json=body)
    assert made.status_code == 201, made.text
    booking = made.json()["data"]
    filler = await _filler(stack, routed["responseId"])
    await stack.client.get_workflow_handle(response_workflow_id(filler)).result()
    await save_history(stack.client, response_workflow_id(filler), "routing_response_booked")

    report = {"reportedBy": {"email": "bob@team.example.com"}, "correctAssignee": "cy@team.example.com"}
    reported = await stack.http.post(f"/v2/bookings/{booking['uid']}/wrong-assignment", json=report)
    report_id = reported.json()["data"]["reportId"]
    await save_history(stack.client, f"wrong-assignment-{report_id}", "wrong_assignment_report")

    await stack.http.post(f"/v2/bookings/{booking['uid']}/cancel", json={})
    await stack.client.get_workflow_handle(booking["uid"]).result()
    await save_history(stack.client, booking["uid"], "booking_from_routing_response")

    idle = await _submit(stack, {"email": "idle@small.com", "seats": 1})
    assert "routingCustomMessage" in idle
    async with stack.db.sessions() as session:
        (idle_response,) = [
            r for r in await routing_store.list_responses(session, "talk-to-sales", 10) if r.email == "idle@small.com"
        ]
    filler = idle_response.form_filler_id
    await stack.client.get_workflow_handle(response_workflow_id(filler)).result()
    await save_history(stack.client, response_workflow_id(filler), "routing_response_no_event")


async def main() -> None:
    os.environ["BOOKFLOW_FORM_NO_EVENT_MINUTES"] = "0.02"
    HISTORIES.mkdir(exist_ok=True)
    env = await start_dev_server()
    db = Database(f"sqlite:///{HISTORIES / 'recording-routing.db'}", TEST_SECRET_KEYS)
    try:
        await db.migrate()
        async with routing_stack(env.client, db, "record-routing-histories") as stack:
            await _routing_scenarios(stack)
    finally:
        await db.dispose()
        for suffix in ("", "-wal", "-shm"):
            (HISTORIES / f"recording-routing.db{suffix}").unlink(missing_ok=True)
        await env.shutdown()
    for path in sorted(HISTORIES.glob("*rout*.json")) + sorted(HISTORIES.glob("wrong_assignment*.json")):
        print(path)


if __name__ == "__main__":
    asyncio.run(main())

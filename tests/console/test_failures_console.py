"""Console failures (admin only): a provider outage on the real dev server is listed as a stuck workflow,
its retry previewed (nothing sent) then done once the provider heals (the email sent exactly once), and
a reset previewed then carried out on the run the preview named. Owners never see the screen: the link
is hidden and every route answers 403."""

import re

from store import messages
from testkit.sendgrid import SendGridEmulator
from testkit.stack import event_type, eventually, soon
from tests.console.helpers import csrf, signed_in
from tests.console.seeds import seed_owners
from tests.ops.support import SENDER, SENDGRID_KEY, confirmation_rule, ops_stack, outbox_settings, sendgrid_settings


async def _pending_attempt(client, workflow_id: str) -> int:
    raw = (await client.get_workflow_handle(workflow_id).describe()).raw_description
    return max((a.attempt for a in raw.pending_activities), default=0)


async def test_owners_cannot_see_or_use_the_failures_screen(temporal_env, sqlite_db, task_queue):
    await seed_owners(sqlite_db)
    async with ops_stack(temporal_env.client, sqlite_db, task_queue, outbox_settings()) as stack:
        async with signed_in(stack, stack.keys.owner) as http:
            assert 'href="/console/failures"' not in (await http.get("/console")).text
            assert (await http.get("/console/failures")).status_code == 403
            assert (await http.get("/console/failures/retry?workflow_id=x")).status_code == 403
            assert (await http.get("/console/failures/reset?workflow_id=x")).status_code == 403
            token = await csrf(http)
            refused = await http.post("/console/failures/retry", data={"csrf_token": token, "workflow_id": "x"})
            assert refused.status_code == 403
            form = {"csrf_token": token, "workflow_id": "x", "run_id": "y", "to": "last-workflow-task"}
            assert (await http.post("/console/failures/reset", data=form)).status_code == 403
        async with signed_in(stack, stack.keys.admin) as http:
            assert 'href="/console/failures"' in (await http.get("/console")).text
            # An admin's POST still needs the CSRF token.
            assert (await http.post("/console/failures/retry", data={"workflow_id": "x"})).status_code == 403
            # A workflow Temporal does not know is refused with its answer, never a 500.
            for action in ("retry", "reset"):
                unknown = await http.get(f"/console/failures/{action}?workflow_id=no-such-workflow")
                assert unknown.status_code == 409 and "NOT_FOUND" in unknown.text, unknown.text
            bad_point = await http.get("/console/failures/reset?workflow_id=x&to=yesterday")
            assert bad_point.status_code in (400, 422) and "to" in bad_point.text


async def test_a_stuck_booking_is_listed_retried_after_a_dry_run_and_reset(temporal_env, sqlite_db, task_queue):
    client = temporal_env.client
    sendgrid = SendGridEmulator(api_key=SENDGRID_KEY, verified_senders={SENDER})
    sendgrid.fail_next.extend([500] * 1000)  # down until healed
    await seed_owners(sqlite_db, event_type(91, workflows=[confirmation_rule()]))
    try:
        async with (
            ops_stack(client, sqlite_db, task_queue, sendgrid_settings(sendgrid)) as stack,
            signed_in(stack, stack.keys.admin) as http,
        ):
            uid = (await stack.book(91, soon(3600)))["uid"]
            await eventually(lambda: _pending_attempt(client, uid), lambda attempt: attempt >= 2)

            async def listed() -> str:
                return (await http.get("/console/failures?stuck_after=0")).text

            page = await eventually(listed, lambda text: f'data-workflow="{uid}"' in text)
            row = page[page.index(f'data-workflow="{uid}"') :].split("</tr>", 1)[0]
            assert "RETRYING" in row and "send_message" in row and "Service unavailable" in row
            assert f"/namespaces/{client.namespace}/workflows/{uid}" in row  # its history in the Temporal UI

            preview = await http.get(f"/console/failures/retry?workflow_id={uid}")
            assert preview.status_code == 200
            assert "Dry run" in preview.text and "send_message" in preview.text
            assert sendgrid.sent == []  # the preview changed nothing

            await eventually(lambda: _pending_attempt(client, uid), lambda attempt: attempt >= 3)
            sendgrid.fail_next.clear()  # the provider heals; the next attempt is seconds away, retry makes it now
            token = await csrf(http, f"/console/failures/retry?workflow_id={uid}")
            done = await http.post("/console/failures/retry", data={"csrf_token": token, "workflow_id": uid})
            assert done.status_code == 200 and "restarted" in done.text

            async def log():
                async with sqlite_db.sessions() as session:
                    return await messages.for_booking(session, uid)

            await eventually(log, lambda found: found and found[0].status == "sent")
            assert len(sendgrid.sent) == 1

            # Reset: previewed first, refused for a run the preview did not name, done for the one it did.
            reset_preview = await http.get(f"/console/failures/reset?workflow_id={uid}&to=last-workflow-task")
            assert reset_preview.status_code == 200 and "Dry run" in reset_preview.text
            run_id = re.search(r'name="run_id" value="([^"]+)"', reset_preview.text).group(1)
            assert run_id == (await client.get_workflow_handle(uid).describe()).run_id
            form = {"csrf_token": token, "workflow_id": uid, "to": "last-workflow-task"}
            stale = await http.post("/console/failures/reset", data=form | {"run_id": "not-the-latest-run"})
            assert stale.status_code == 409 and "no longer the latest" in stale.text
            assert (await client.get_workflow_handle(uid).describe()).run_id == run_id
            reset = await http.post("/console/failures/reset", data=form | {"run_id": run_id})
            assert reset.status_code == 200, reset.text
            new_run = (await client.get_workflow_handle(uid).describe()).run_id
            assert new_run != run_id and new_run in reset.text
            assert len(sendgrid.sent) == 1  # nothing that already happened ran again
    finally:
        sendgrid.close()

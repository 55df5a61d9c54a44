"""`bookflow calendars list|status|sync|disconnect` against the running stack and a real CalDAV server."""

import asyncio
import json
import uuid

from typer.testing import CliRunner, Result

from testkit.access import TEST_SECRET_KEYS
from testkit.radicale import RadicaleServer
from testkit.stack import Stack, event_type, seed
from tests.calendars.conftest import PASSWORD
from tests.calendars.test_end_to_end import at, connect, external_event
from worker.cli import app


async def bookflow(args: list[str], stack: Stack, temporal_env) -> Result:
    env = {
        "TEMPORAL_ADDRESS": temporal_env.client.service_client.config.target_host,
        "TEMPORAL_NAMESPACE": temporal_env.client.namespace,
        "BOOKFLOW_DATABASE_URL": stack.db.url,
        "BOOKFLOW_TASK_QUEUE": stack.task_queue,
        "BOOKFLOW_SECRET_KEY": TEST_SECRET_KEYS.current.get_secret_value(),
    }
    return await asyncio.to_thread(CliRunner().invoke, app, args, env=env, catch_exceptions=False)


async def test_list_status_sync_and_disconnect(stack: Stack, radicale: RadicaleServer, temporal_env):
    calendar_url = radicale.make_calendar("ada", f"work-{uuid.uuid4().hex[:8]}")
    await seed(stack.db, event_type(1, length_in_minutes=30))
    credential = await connect(stack, radicale, calendar_url)

    listed = await bookflow(["calendars", "list", "--json"], stack, temporal_env)
    assert listed.exit_code == 0, listed.output
    [connection] = json.loads(listed.output)
    assert connection["id"] == credential and calendar_url in [c["externalId"] for c in connection["calendars"]]
    assert PASSWORD not in listed.output

    radicale.put_event(calendar_url, "lunch", external_event("lunch", at(12), at(13)), "ada")
    synced = await bookflow(["calendars", "sync", str(credential)], stack, temporal_env)
    assert synced.exit_code == 0, synced.output
    report = json.loads(synced.output.splitlines()[0])
    assert report["ok"] is True and report["changed"] == 1

    status = await bookflow(["calendars", "status", "--json"], stack, temporal_env)
    [health] = json.loads(status.output)
    assert health["status"] == "ok" and health["eventCount"] == 1 and health["syncErrorCount"] == 0
    assert health["lastSyncAt"] is not None

    table = await bookflow(["calendars", "status"], stack, temporal_env)
    assert "ok" in table.output

    gone = await bookflow(["calendars", "disconnect", str(credential)], stack, temporal_env)
    assert gone.exit_code == 0, gone.output
    assert json.loads((await bookflow(["calendars", "list", "--json"], stack, temporal_env)).output) == []
    missing = await bookflow(["calendars", "disconnect", str(credential)], stack, temporal_env)
    assert missing.exit_code == 2

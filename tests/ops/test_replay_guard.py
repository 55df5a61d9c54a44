"""The determinism guard: recorded and live histories replay against the current code; a change that
would break running bookings is reported."""

import json
from pathlib import Path

from testkit.stack import event_type, seed, soon
from tests.ops.changed_workflow import CHANGED
from tests.ops.support import bookflow, cli_env, ops_stack, outbox_settings
from worker.ops import replay

RECORDED = sorted((Path(__file__).resolve().parents[1] / "histories").glob("booking_*.json"))


async def test_recorded_histories_replay_and_a_nondeterministic_change_is_reported():
    histories = [replay.load(path) for path in RECORDED]
    assert histories, "no recorded BookingWorkflow histories in tests/histories"

    current = await replay.replay_histories(histories)
    assert [o.ok for o in current] == [True] * len(histories)

    broken = await replay.replay_histories(histories, CHANGED)
    assert [o.ok for o in broken] == [False] * len(histories)
    assert all("nondetermin" in (o.error or "").lower() for o in broken), broken[0].error


async def test_cli_replays_saved_files_and_live_workflows_and_exports_them(
    temporal_env, sqlite_db, task_queue, tmp_path: Path
):
    env = cli_env(temporal_env, sqlite_db)
    files = await bookflow(["ops", "replay", *[f"--file={p}" for p in RECORDED]], env)
    assert files.exit_code == 0, files.output
    assert f"{len(RECORDED)} of {len(RECORDED)} histories replay" in files.output

    await seed(sqlite_db, event_type(61, requires_confirmation=True))
    async with ops_stack(temporal_env.client, sqlite_db, task_queue, outbox_settings()) as stack:
        uid = (await stack.book(61, soon(3600)))["uid"]
        assert (await stack.http.post(f"/v2/bookings/{uid}/confirm")).status_code == 200
        assert (await stack.http.post(f"/v2/bookings/{uid}/cancel", json={})).status_code == 200
        await temporal_env.client.get_workflow_handle(uid).result()

    # Live, by id and by query: this history carries the search-attributes patch and its upserts.
    live = await bookflow(["ops", "replay", uid], env)
    assert live.exit_code == 0, live.output
    assert f"ok    {uid}" in live.output
    by_query = await bookflow(["ops", "replay", "--query", f"BookingUid = '{uid}'"], env)
    assert by_query.exit_code == 0 and f"ok    {uid}" in by_query.output

    exported = await bookflow(["ops", "export-history", uid, "--dir", str(tmp_path), "--name", "confirmed"], env)
    assert exported.exit_code == 0, exported.output
    saved = tmp_path / "confirmed.json"
    history = replay.load(saved)
    upserted = [
        json.loads(fields["BookingStatus"].data)
        for e in history.events
        if e.HasField("upsert_workflow_search_attributes_event_attributes")
        and "BookingStatus"
        in (fields := e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields)
    ]
    assert upserted == ["ACCEPTED", "CANCELLED"]  # PENDING was set at start
    (outcome,) = await replay.replay_histories([history])
    assert outcome.ok
    (outcome,) = await replay.replay_histories([history], CHANGED)
    assert not outcome.ok

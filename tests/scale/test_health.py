"""`/health` and `/ready` of spawned `bookflow api` and `bookflow worker` processes, as an orchestrator probes them:
ready while Temporal and the migrated database answer, 503 naming the part that does not."""

from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import text

from store.db import Database, alembic_config
from testkit.access import TEST_SECRET_KEYS
from testkit.devserver import start_dev_server
from testkit.processes import Spawned, process_env, spawned_api, spawned_worker
from testkit.stack import eventually


async def _readiness(processes: list[Spawned]) -> list[tuple[int, str]]:
    return [((answer := await p.probe("/ready")).status_code, answer.text) for p in processes]


async def _replace_revision(db: Database, old: str, new: str) -> None:
    async with db.transaction() as session:
        update = text("UPDATE alembic_version SET version_num = :new WHERE version_num = :old")
        await session.execute(update, {"new": new, "old": old})


async def _newest_applied(db: Database) -> str:
    async with db.sessions() as session:
        return max(await session.scalars(text("SELECT version_num FROM alembic_version")))


async def test_probes_follow_temporal_and_the_database(tmp_path: Path):
    temporal = await start_dev_server()
    url = f"sqlite:///{tmp_path / 'bookflow.db'}"
    db = Database(url, TEST_SECRET_KEYS)
    await db.migrate()
    service = temporal.client.service_client.config.target_host
    env = process_env(service, temporal.client.namespace, url, "health", tmp_path)
    try:
        async with spawned_api("api", env, tmp_path) as api, spawned_worker("worker", env, tmp_path) as worker:
            both = [api, worker]
            for process in both:
                await process.wait_ready()
                alive = await process.probe("/health")
                assert alive.status_code == 200, alive.text
                ready = (await process.probe("/ready")).json()
                assert ready["data"] | {"worker": "ok"} == {"temporal": "ok", "database": "ok", "worker": "ok"}

            # The database falls behind the code (a migration missing): not ready, naming the migration.
            head = await _newest_applied(db)
            previous = ScriptDirectory.from_config(alembic_config(url)).get_revision(head).down_revision
            await _replace_revision(db, head, str(previous))
            for status, body in await _readiness(both):
                assert status == 503, body
                assert f"database: not migrated (missing {head})" in body, body
                assert "temporal" not in body, body
            await _replace_revision(db, str(previous), head)
            await eventually(lambda: _readiness(both), lambda answers: all(s == 200 for s, _ in answers))

            # Temporal goes away: not ready, naming Temporal; still alive (a restart would not help).
            await temporal.shutdown()
            temporal = None
            answers = await eventually(
                lambda: _readiness(both), lambda answers: all(s == 503 for s, _ in answers), timeout=60
            )
            for _, body in answers:
                assert f"temporal: unreachable at {service}" in body, body
                assert "database" not in body, body
            for process in both:
                assert (await process.probe("/health")).status_code == 200
    finally:
        await db.dispose()
        if temporal is not None:
            await temporal.shutdown()

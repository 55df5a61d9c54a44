"""The determinism guard: replay real histories against the current workflow code before a deploy."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from worker.temporal import WORKFLOWS, workflow_runner


@dataclass(frozen=True)
class ReplayOutcome:
    workflow_id: str
    ok: bool
    error: str | None = None


def replayer(workflows: Sequence[type] = WORKFLOWS) -> Replayer:
    """A Replayer over ``workflows`` (the current code by default), set up as the worker is."""
    return Replayer(
        workflows=list(workflows), data_converter=pydantic_data_converter, workflow_runner=workflow_runner()
    )


async def replay_histories(
    histories: Sequence[WorkflowHistory], workflows: Sequence[type] = WORKFLOWS
) -> list[ReplayOutcome]:
    """Replay each history; a non-deterministic one is reported with the SDK's explanation."""
    engine = replayer(workflows)
    outcomes = []
    for history in histories:
        result = await engine.replay_workflow(history, raise_on_replay_failure=False)
        failure = result.replay_failure
        outcomes.append(ReplayOutcome(history.workflow_id, failure is None, None if failure is None else str(failure)))
    return outcomes


async def fetch(client: Client, workflow_ids: Sequence[str]) -> list[WorkflowHistory]:
    return [await client.get_workflow_handle(w).fetch_history() for w in workflow_ids]


async def fetch_matching(client: Client, query: str, limit: int = 100) -> list[WorkflowHistory]:
    return [h async for h in client.list_workflows(query, limit=limit).map_histories()]


def load(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, path.read_text())


async def export(client: Client, workflow_id: str, directory: Path, name: str | None = None) -> Path:
    """Save the full history of ``workflow_id`` as ``directory/NAME.json`` (the replay tests' format).

    An installed bookflow has no source tree to write into, so the caller always names the directory
    (in a checkout, ``tests/histories`` keeps the history replayed by the test suite).
    """
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    workflow_type = history.events[0].workflow_execution_started_event_attributes.workflow_type.name
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name or _default_name(workflow_type, workflow_id)}.json"
    path.write_text(json.dumps(json.loads(history.to_json()), indent=1))
    return path


def _default_name(workflow_type: str, workflow_id: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in workflow_id)
    return f"{workflow_type.lower()}_{safe}"[:120]

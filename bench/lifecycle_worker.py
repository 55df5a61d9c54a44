"""The lifecycle bench's worker, alone in its own process so that its CPU time is its own.

``python -m bench.lifecycle_worker bookflow|webhooks|bare TEMPORAL_ADDRESS TASK_QUEUE PYCACHE [DATABASE_URL]``
runs Bookflow's production worker (build_worker) or the bare reference worker, prints ``ready`` once it polls,
and runs until SIGTERM. bench/lifecycle.py and bench/webhooks.py read its CPU time from /proc between the
phases they measure. ``webhooks`` is the production worker as bench/webhooks.py needs it: the test secret keys
(the bench stores its subscriptions' secrets with them) and private receivers allowed (they are on loopback).

Bytecode is cached under PYCACHE (outside the tree), as an installed package has it: without a cache (this
machine sets PYTHONDONTWRITEBYTECODE), the sandbox would compile each workflow's module from source for every
workflow it runs, a cost no deployment pays.
"""

import asyncio
import signal
import sys
from typing import Any

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

from bench.bare_workflow import BareBookingWorkflow, nothing
from domain.webhooks import WebhookSettings
from store.db import Database
from testkit.access import TEST_SECRET_KEYS
from worker.temporal import build_worker

READY = "ready"
KINDS = ("bookflow", "webhooks", "bare")


async def serve(kind: str, address: str, queue: str, database_url: str | None) -> None:
    """Run one worker of ``kind`` on ``queue`` until SIGTERM."""
    client = await Client.connect(address, data_converter=pydantic_data_converter)
    db = Database(database_url, TEST_SECRET_KEYS if kind == "webhooks" else None) if database_url else None
    worker: Any
    if kind == "bookflow" and db is not None:
        worker = build_worker(client, db, queue)
    elif kind == "webhooks" and db is not None:
        worker = build_worker(client, db, queue, webhooks=WebhookSettings(allow_private=True))
    else:
        worker = Worker(client, task_queue=queue, workflows=[BareBookingWorkflow], activities=[nothing])
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        async with worker:
            print(READY, flush=True)
            await stop.wait()
    finally:
        if db is not None:
            await db.dispose()


def main(argv: list[str]) -> int:
    if len(argv) not in (4, 5) or argv[0] not in KINDS or (argv[0] != "bare") != (len(argv) == 5):
        print(__doc__, file=sys.stderr)
        return 2
    sys.pycache_prefix, sys.dont_write_bytecode = argv[3], False
    asyncio.run(serve(argv[0], argv[1], argv[2], argv[4] if len(argv) == 5 else None))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

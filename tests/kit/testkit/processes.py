"""`bookflow api` and `bookflow worker` as separate OS processes, as production runs them.

Tests and benches spawn them against the test's Temporal and store, wait for their `/ready`, and stop
them with SIGTERM (or kill -9 to simulate a crash). Each process logs to a file in ``cwd``, whose tail is
printed when the block fails.
"""

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from testkit.access import TEST_SECRET_KEYS

BOOKFLOW = Path(sys.executable).with_name("bookflow")
# Nothing from the developer's environment (providers, another Temporal or store) reaches the processes.
FOREIGN = ("EMAIL_SERVER", "TWILIO_", "SALESFORCE_", "HUBSPOT_", "SENDGRID_", "OTEL_", "BOOKFLOW_", "TEMPORAL_")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def process_env(
    temporal_address: str, namespace: str, database_url: str, task_queue: str, data_dir: Path, **extra: str
) -> dict[str, str]:
    """The environment of a spawned process: the test's Temporal and store, the kit's secret key.

    The key is the one test databases seal with (testkit.access), so keys the test issues work on the API.
    """
    ours = {
        "TEMPORAL_ADDRESS": temporal_address,
        "TEMPORAL_NAMESPACE": namespace,
        "BOOKFLOW_DATABASE_URL": database_url,
        "BOOKFLOW_DATA_DIR": str(data_dir),
        "BOOKFLOW_TASK_QUEUE": task_queue,
        "BOOKFLOW_SECRET_KEY": TEST_SECRET_KEYS.current.get_secret_value(),
        "BOOKFLOW_WEBHOOKS_ALLOW_PRIVATE": "true",
    }
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN)}
    return inherited | ours | extra


@dataclass
class Spawned:
    """A running `bookflow` process; ``url`` is where its /health and /ready answer."""

    name: str
    process: asyncio.subprocess.Process
    log: Path
    url: str

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self) -> None:
        """kill -9: no shutdown, no goodbye to Temporal, as when its machine dies."""
        self.process.kill()

    async def terminate(self, timeout: float = 60) -> int:
        """SIGTERM, then wait for the exit (kill -9 after ``timeout``); the exit code."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), timeout=timeout)
            except TimeoutError:
                self.process.kill()
        return await self.process.wait()

    async def probe(self, path: str) -> httpx.Response:
        async with httpx.AsyncClient(timeout=10) as http:
            return await http.get(self.url + path)

    async def wait_ready(self, timeout: float = 90) -> None:
        """Until GET /ready answers 200; fails at once if the process exits."""
        deadline = asyncio.get_running_loop().time() + timeout
        last = "no answer"
        while asyncio.get_running_loop().time() < deadline:
            assert self.process.returncode is None, f"{self.name} exited with {self.process.returncode}"
            try:
                answer = await self.probe("/ready")
                if answer.status_code == 200:
                    return
                last = answer.text
            except httpx.TransportError as error:
                last = repr(error)
            await asyncio.sleep(0.2)
        raise AssertionError(f"{self.name} not ready within {timeout} s: {last}")

    def tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


@asynccontextmanager
async def spawned(name: str, args: list[str], env: dict[str, str], cwd: Path, port: int) -> AsyncIterator[Spawned]:
    """``bookflow *args`` as a child process whose probes answer on ``port``; SIGTERM when the block ends."""
    log = cwd / f"{name}.log"
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            str(BOOKFLOW), *args, env=env, cwd=cwd, stdout=output, stderr=output
        )
    running = Spawned(name, process, log, f"http://127.0.0.1:{port}")
    try:
        yield running
    except BaseException:
        print(f"--- {name} (pid {process.pid}) log tail ---\n{running.tail()}", file=sys.stderr)
        raise
    finally:
        await running.terminate()


def spawned_api(
    name: str, env: dict[str, str], cwd: Path, port: int | None = None
) -> AbstractAsyncContextManager[Spawned]:
    """`bookflow api --host 127.0.0.1 --port N`; its /health and /ready are the API's own."""
    port = port or free_port()
    return spawned(name, ["api", "--host", "127.0.0.1", "--port", str(port)], env, cwd, port)


def spawned_worker(
    name: str, env: dict[str, str], cwd: Path, metrics_port: int | None = None
) -> AbstractAsyncContextManager[Spawned]:
    """`bookflow worker --metrics-port N`; its /health and /ready answer on the metrics port."""
    port = metrics_port or free_port()
    return spawned(name, ["worker", "--metrics-port", str(port)], env, cwd, port)

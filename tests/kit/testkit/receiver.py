"""A real HTTP receiver on loopback that records every request and answers as scripted (webhook targets)."""

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from testkit.server import LocalServer, Reply, Request


@dataclass
class Received:
    path: str  # without the query string
    headers: dict[str, str]
    body: bytes
    arrived: float  # time.time() on arrival


@dataclass(eq=False)
class Receiver(LocalServer):
    """Answers with ``script`` in order (the last entry repeats); each entry is (status, headers)."""

    script: list[tuple[int, dict[str, str]]] = field(default_factory=lambda: [(200, {})])
    requests: list[Received] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return self.url_for("127.0.0.1")

    def url_for(self, host: str, path: str = "/hook") -> str:
        return f"http://{host}:{self.port}{path}"

    def handle(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(Received(urlsplit(request.path).path, request.headers, request.body, time.time()))
            count = len(self.requests)
        status, headers = self.script[min(count - 1, len(self.script) - 1)]
        return Reply(status, f"answer {count}".encode(), {"Content-Type": "text/plain; charset=utf-8", **headers})

    async def wait_for(self, count: int, timeout: float = 30) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} requests within {timeout} s, got {len(self.requests)}")
            await asyncio.sleep(0.02)
        return self.requests


@asynccontextmanager
async def receiving(*script: tuple[int, dict[str, str]]) -> AsyncIterator[Receiver]:
    """A receiver listening on 127.0.0.1 (a free port) for the duration of the block."""
    receiver = Receiver(script=list(script) or [(200, {})]).start()
    try:
        yield receiver
    finally:
        # stop() waits for the serving thread; off the event loop, so workers sharing it keep running.
        await asyncio.to_thread(receiver.stop)

"""A real HTTP receiver on loopback (aiohttp) that records every request and answers as scripted."""

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    arrived: float  # time.time() on arrival


@dataclass
class Receiver:
    """Answers with ``script`` in order (the last entry repeats); each entry is (status, headers)."""

    script: list[tuple[int, dict[str, str]]] = field(default_factory=lambda: [(200, {})])
    requests: list[Received] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def url_for(self, host: str, path: str = "/hook") -> str:
        return f"http://{host}:{self.port}{path}"

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.requests.append(Received(request.path, dict(request.headers), body, time.time()))
        status, headers = self.script[min(len(self.requests) - 1, len(self.script) - 1)]
        return web.Response(status=status, headers=headers, text=f"answer {len(self.requests)}")

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
    receiver = Receiver(script=list(script) or [(200, {})])
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", receiver._handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    receiver.port = site._server.sockets[0].getsockname()[1]
    try:
        yield receiver
    finally:
        await runner.cleanup()

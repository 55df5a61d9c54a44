"""The worker's `/health` and `/ready`, served beside its metrics on `--metrics-port`.

The endpoint runs in its own thread; each probe asks the worker's event loop, so `/health` fails when that
loop is wedged (a blocked loop polls nothing) and `/ready` runs the API's own readiness check there
(api/health.py: Temporal reachable, database reachable and migrated), plus whether the worker is polling:
it is not while it starts, nor once SIGTERM has asked it to drain.
"""

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import TimeoutError as FutureTimeout
from enum import StrEnum
from typing import Any

from api.health import CHECK_TIMEOUT, Readiness

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# A loop that has not run a no-op within this long is wedged.
LOOP_TIMEOUT = 2.0


class Polling(StrEnum):
    STARTING = "starting"
    POLLING = "ok"
    DRAINING = "draining (SIGTERM: finishing in-flight activities)"


class WorkerProbes:
    """The worker's state as the probes see it; ``wsgi`` serves them in front of another app (metrics)."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._check: Callable[[], Awaitable[Readiness]] | None = None
        self.polling = Polling.STARTING

    def serving(self, loop: asyncio.AbstractEventLoop, check: Callable[[], Awaitable[Readiness]]) -> None:
        """The worker polls on ``loop``; ``check`` tells whether its dependencies answer."""
        self._loop, self._check, self.polling = loop, check, Polling.POLLING

    def draining(self) -> None:
        self.polling = Polling.DRAINING

    def _on_loop(self, work: Awaitable[Any], timeout: float) -> Any:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout=timeout)  # type: ignore[arg-type]

    def alive(self) -> bool:
        """True unless the worker's event loop fails to run a no-op in time (before it runs, the process is up)."""
        if self._loop is None or self._loop.is_closed():
            return self._loop is None
        try:
            self._on_loop(asyncio.sleep(0), LOOP_TIMEOUT)
        except (FutureTimeout, RuntimeError):
            return False
        return True

    def ready(self) -> dict[str, str]:
        """Each part's state ("ok" or what is wrong): worker, temporal, database."""
        parts = {"worker": self.polling.value}
        if self._check is None or self.polling is not Polling.POLLING:
            return parts
        try:
            state: Readiness = self._on_loop(self._check(), LOOP_TIMEOUT + 2 * CHECK_TIMEOUT.total_seconds())
        except (FutureTimeout, RuntimeError):
            return parts | {"worker": "event loop not answering"}
        return parts | state.model_dump()

    def wsgi(self, fallback: WsgiApp) -> WsgiApp:
        """``fallback`` (the metrics) with /health and /ready in front of it."""

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            path = environ.get("PATH_INFO", "")
            if path == "/health":
                alive = self.alive()
                body = (
                    {"status": "success", "data": {"alive": True}}
                    if alive
                    else _error("not alive: event loop not answering", "NOT_ALIVE")
                )
                return _answer(start_response, 200 if alive else 503, body)
            if path == "/ready":
                parts = self.ready()
                problems = [f"{part}: {state}" for part, state in parts.items() if state != "ok"]
                if problems:
                    return _answer(start_response, 503, _error("not ready: " + "; ".join(problems), "NOT_READY"))
                return _answer(start_response, 200, {"status": "success", "data": parts})
            return fallback(environ, start_response)

        return app


def _error(message: str, code: str) -> dict[str, Any]:
    return {"status": "error", "error": {"code": code, "message": message}}


def _answer(start_response: Callable[..., Any], status: int, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode()
    reason = "OK" if status == 200 else "Service Unavailable"
    start_response(f"{status} {reason}", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]

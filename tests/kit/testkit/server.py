"""The one local server every emulator and receiver in the kit is built on: threaded HTTP(S) on 127.0.0.1.

A subclass answers ``handle(request) -> Reply``; ``start()`` listens on a free port, ``url`` says where,
``stop()`` ends it (also as a context manager). ``tls_context()`` makes it HTTPS, for clients that insist.
"""

import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


@dataclass
class Request:
    method: str
    path: str  # as sent, query string included
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (a slow provider)


class LocalServer:
    """A threaded HTTP server on a free loopback port, answering each request with ``handle``."""

    # Class-level defaults so dataclass subclasses need not call an __init__ of ours.
    _server: ThreadingHTTPServer | None = None
    _connections: set[socket.socket] | None = None

    def handle(self, request: Request) -> Reply:
        """Answer one request; runs in the server's threads."""
        raise NotImplementedError

    def tls_context(self) -> ssl.SSLContext | None:
        """A server-side TLS context to serve HTTPS, or None for plain HTTP."""
        return None

    def start(self) -> Self:
        """Listen on a free port of 127.0.0.1 and serve in daemon threads."""
        self._connections = set()
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        context = self.tls_context()
        if context is not None:
            server.socket = context.wrap_socket(server.socket, server_side=True)
        self._scheme = "https" if context is not None else "http"
        # A short poll interval: stop() waits for the serving loop to notice, and tests stop servers often.
        threading.Thread(target=server.serve_forever, args=(0.05,), name=type(self).__name__, daemon=True).start()
        self._server = server
        return self

    @property
    def port(self) -> int:
        assert self._server is not None, f"start() the {type(self).__name__} first"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """Where it listens, e.g. ``http://127.0.0.1:51234`` (no trailing slash)."""
        return f"{self._scheme}://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop listening and drop open keep-alive connections, so a stopped server is really gone."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._server = None
        for connection in list(self._connections or ()):
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        """The same as ``stop()``, for code that closes servers like files."""
        self.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _track(self, connection: socket.socket, is_open: bool) -> None:
        if self._connections is None:
            return
        if is_open:
            self._connections.add(connection)
        else:
            self._connections.discard(connection)


class LoopbackServer(LocalServer):
    """Serves ``answer(request) -> Reply`` from construction until ``close()``: an ad-hoc endpoint in a test."""

    def __init__(self, answer: Callable[[Request], Reply]) -> None:
        self._answer = answer
        self.start()

    def handle(self, request: Request) -> Reply:
        return self._answer(request)


def _handler_for(owner: LocalServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as clients expect of the real APIs

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in separate writes; without NODELAY, Nagle adds ~40 ms per call.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            owner._track(self.connection, True)

        def finish(self) -> None:
            owner._track(self.connection, False)
            super().finish()

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            reply = owner.handle(Request(self.command, self.path, dict(self.headers.items()), body))
            if reply.delay:
                time.sleep(reply.delay)
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply.body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

        def log_message(self, *_args: object) -> None:  # quiet: tests read what the emulators record
            pass

    return Handler

"""An ASGI app served by uvicorn on a bound socket, in this thread or a background one.

Connections are bounded: beyond `max_connections` a new one is closed at once (before file
descriptors run out), one that has not sent a whole request within `header_timeout` seconds is
closed, and an idle keep-alive connection is closed after a few seconds.
"""

from __future__ import annotations

import asyncio
import errno
import os
import resource
import socket
import threading
import time
from typing import Any, Self

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT_SECONDS = 10.0
KEEP_ALIVE_SECONDS = 5


def default_max_connections() -> int:
    """Half the file descriptors this process may open, at most 1,000: the rest stay free
    for the connections to Wix, Redis and the logs."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return max(16, min(1000, soft // 2)) if soft > 0 else 1000


class PortUnavailable(Exception):
    """The address cannot be bound; the text says which and what to do."""


class BoundedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a connection cap and a deadline for the first request."""

    max_connections = 1000
    header_timeout = HEADER_TIMEOUT_SECONDS

    def connection_made(self, transport: asyncio.BaseTransport) -> None:  # pyright: ignore[reportIncompatibleMethodOverride]
        super().connection_made(transport)  # pyright: ignore[reportArgumentType]
        if len(self.connections) > self.max_connections:
            transport.close()
            return
        self.loop.call_later(self.header_timeout, self._close_if_no_request)

    def _close_if_no_request(self) -> None:
        if self.cycle is None and not self.transport.is_closing():  # pyright: ignore[reportUnnecessaryComparison]
            self.transport.close()


class _HealthWhileDraining:
    """Once the server is told to stop, the health check answers 503 so traffic moves on."""

    def __init__(self, app: ASGIApp, path: str, server: uvicorn.Server) -> None:
        self._app, self._path, self._server = app, path, server

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == self._path and self._server.should_exit:
            from starlette.responses import JSONResponse

            response = JSONResponse({"status": "shutting down"}, status_code=503)
            await response(scope, receive, send)
            return
        await self._app(scope, receive, send)


def _bound(host: str, port: int, flag: str) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        bound = socket.create_server((host, port), family=family, backlog=1024)
    except OSError as exc:
        reason = "is already in use" if exc.errno == errno.EADDRINUSE else "cannot be used"
        raise PortUnavailable(
            f"Port {port} on {host} {reason} ({os.strerror(exc.errno or 0)}); choose another "
            f"with {flag}."
        ) from None
    # Accepted connections inherit this: without it, a response written in two parts
    # waits for the client's delayed ACK (about 40 ms on Linux).
    bound.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return bound


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class _ByPort:
    """Requests that came in on `side_port` go to `side`; all others to `app`."""

    def __init__(self, app: ASGIApp, side: ASGIApp, side_port: int) -> None:
        self._app, self._side, self._side_port = app, side, side_port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        server = scope.get("server")
        if scope["type"] == "http" and server is not None and server[1] == self._side_port:
            await self._side(scope, receive, send)
            return
        await self._app(scope, receive, send)


class BackgroundServer:
    """Binds at construction (port 0 picks a free port), so the URL is known before serving."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        graceful_seconds: int = 1,
        health_path: str | None = None,
        max_connections: int | None = None,
        header_timeout: float = HEADER_TIMEOUT_SECONDS,
        side: tuple[str, int, ASGIApp] | None = None,
    ) -> None:
        self._socket = _bound(host, port, "--port")
        self.host: str = host
        self.port: int = self._socket.getsockname()[1]
        # A second address served by the same loop, with an app of its own (the metrics).
        self._side: socket.socket | None = None
        self.side_url: str | None = None
        if side is not None:
            side_host, side_port, side_app = side
            try:
                self._side = _bound(side_host, side_port, "--metrics-port")
            except PortUnavailable:
                self._socket.close()
                raise
            bound_port = self._side.getsockname()[1]
            self.side_url = _url(side_host, bound_port)
            app = _ByPort(app, side_app, bound_port)
        protocol: Any = type(
            "Protocol",
            (BoundedH11Protocol,),
            {
                "max_connections": max_connections or default_max_connections(),
                "header_timeout": header_timeout,
            },
        )
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            http=protocol,
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
            timeout_graceful_shutdown=graceful_seconds,
        )
        self._server = uvicorn.Server(config)
        if health_path is not None:
            config.app = _HealthWhileDraining(app, health_path, self._server)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return _url(self.host, self.port)

    def serve_forever(self) -> None:
        """Serve in this thread until Ctrl-C or SIGTERM; in-flight requests may finish."""
        self._server.run(sockets=[self._socket, *([self._side] if self._side else [])])

    def start(self) -> Self:
        self._thread = threading.Thread(target=self.serve_forever, name="uvicorn", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"the server on {self.url} did not start")
            time.sleep(0.01)
        return self

    def request_exit(self) -> None:
        """Stop accepting, let requests in flight finish (up to the graceful timeout), and end
        serve_forever; safe to call from the server's own thread."""
        self._server.should_exit = True

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._socket.close()
        if self._side is not None:
            self._side.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

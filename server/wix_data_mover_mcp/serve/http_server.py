"""An ASGI app served by uvicorn on a bound socket, in this thread or a background one.

Connections are bounded (connections.py): a cap in all and per client address, where a new
connection takes the place of an idle one; each request, headers and body, must arrive whole
within `request_timeout` seconds of its first byte (the first within that time of connecting),
or the connection is closed; a request answered before its body arrived (a refusal) does not
wait for the rest of it; and an idle keep-alive connection is closed after a few seconds. While
the server drains on SIGTERM, the port stays open and every new request gets 503.
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import socket
import threading
import time
from typing import Self

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from .connections import REQUEST_TIMEOUT_SECONDS, bounded

KEEP_ALIVE_SECONDS = 5


class PortUnavailable(Exception):
    """The address cannot be bound; the text says which and what to do."""


DRAINING = {"status": "shutting down"}


class _RefuseWhileDraining:
    """Once the server is told to stop, a new request (a health check above all) gets 503 so
    traffic moves on; requests already running finish. This covers connections uvicorn
    accepted before; new ones meet the DrainingServer's responder, which says the same."""

    def __init__(self, app: ASGIApp, server: uvicorn.Server) -> None:
        self._app, self._server = app, server

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._server.should_exit:
            from starlette.responses import JSONResponse

            headers = {"retry-after": "1", "connection": "close"}
            response = JSONResponse(DRAINING, status_code=503, headers=headers)
            await response(scope, receive, send)
            return
        await self._app(scope, receive, send)


class DrainingServer(uvicorn.Server):
    """uvicorn's server, whose port stays open while it drains.

    uvicorn closes its listening socket as soon as it is told to stop, so a load balancer's
    health check meets 'connection refused' for as long as calls in flight take to finish.
    Here uvicorn listens on a duplicate of the socket; when it closes that, the original is
    still bound and listening, and a small responder answers every new request on it with 503
    (`{"status": "shutting down"}`) until the drain is over."""

    def __init__(
        self,
        config: uvicorn.Config,
        listener: socket.socket,
        timeout: float,
        others: list[socket.socket] | None = None,
    ) -> None:
        super().__init__(config)
        self._listener = listener
        self._timeout = timeout
        self._others = others or []  # served too, and closed when the drain begins

    def run(self, sockets: list[socket.socket] | None = None) -> None:
        """Serve on a duplicate of the listener (uvicorn closes what it is given)."""
        super().run(sockets=[self._listener.dup(), *self._others])

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()  # uvicorn would do it first thing anyway; then the responder takes over
        try:
            responder = await asyncio.start_server(self._answer_draining, sock=self._listener)
        except OSError:  # the listener was closed already (stop()): nobody to answer
            responder = None
        try:
            await super().shutdown(sockets)
        finally:
            if responder is not None:
                responder.close()

    async def _answer_draining(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            async with asyncio.timeout(self._timeout):
                await reader.readuntil(b"\r\n\r\n")
            body = json.dumps(DRAINING, separators=(",", ":")).encode()
            writer.write(
                b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
                b"content-length: %d\r\nretry-after: 1\r\nconnection: close\r\n\r\n%s"
                % (len(body), body)
            )
            await writer.drain()
        except (TimeoutError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # a request that does not arrive whole, or a client gone: just close
        finally:
            writer.close()


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
    # Accepted connections inherit this: without it, a response written in two parts waits
    # for the client's delayed ACK (about 40 ms on Linux).
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
        max_connections: int | None = None,
        max_per_peer: int | None = None,
        request_timeout: float = REQUEST_TIMEOUT_SECONDS,
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
            same_port = PortUnavailable(
                f"The metrics port must differ from the main port ({self.port}), even on "
                "another address; choose another with --metrics-port."
            )
            # Requests are told apart by the port they came in on: one port for both would
            # serve the metrics, without a token, in place of everything else. Refused before
            # binding, whatever else holds that port on the other address.
            if side_port == self.port:
                self._socket.close()
                raise same_port
            try:
                self._side = _bound(side_host, side_port, "--metrics-port")
            except PortUnavailable:
                self._socket.close()
                raise
            bound_port = self._side.getsockname()[1]
            if bound_port == self.port:  # an ephemeral port (0) that came out the same
                self._side.close()
                self._socket.close()
                raise same_port
            self.side_url = _url(side_host, bound_port)
            app = _ByPort(app, side_app, bound_port)
        protocol = bounded(max_connections, max_per_peer, request_timeout)
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            http=protocol,
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
            timeout_graceful_shutdown=graceful_seconds,
        )
        others = [self._side] if self._side is not None else []
        self._server = DrainingServer(config, self._socket, request_timeout, others)
        config.app = _RefuseWhileDraining(app, self._server)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return _url(self.host, self.port)

    def serve_forever(self) -> None:
        """Serve in this thread until Ctrl-C or SIGTERM; in-flight requests may finish."""
        self._server.run()

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

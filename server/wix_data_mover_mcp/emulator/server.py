"""Run the emulator on a loopback port, in a background thread or in the foreground."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Self

import uvicorn

from .app import create_app
from .seed import DEMO_API_KEY, seed
from .state import EmulatorState


class Emulator:
    """The Data Mover API on 127.0.0.1, seeded with demo jobs. Use as a context manager."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, seeded: bool = True) -> None:
        self.state = EmulatorState(api_keys={DEMO_API_KEY})
        self._socket = socket.create_server((host, port))
        self.host, self.port = self._socket.getsockname()[:2]
        if seeded:
            seed(self.state, now=time.time(), base_url=self.url)
        config = uvicorn.Config(
            create_app(self.state),
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=1,
            lifespan="off",
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def serve_forever(self) -> None:
        self._server.run(sockets=[self._socket])

    def start(self) -> Self:
        self._thread = threading.Thread(target=self.serve_forever, name="wix-emulator", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the Data Mover emulator did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._socket.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

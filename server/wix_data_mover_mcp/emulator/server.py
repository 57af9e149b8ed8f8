"""Run the emulator on a loopback port, in a background thread or in the foreground."""

from __future__ import annotations

from ..serve.http_server import BackgroundServer
from .app import create_app
from .seed import DEMO_API_KEY, seed
from .state import EmulatorState


class Emulator(BackgroundServer):
    """The Data Mover API on 127.0.0.1, seeded with demo jobs. Use as a context manager."""

    def __init__(
        self, *, host: str = "127.0.0.1", port: int = 0, seeded: bool = True, pace: float = 1.0
    ) -> None:
        self.state = EmulatorState(api_keys={DEMO_API_KEY}, pace=pace)
        super().__init__(create_app(self.state), host=host, port=port)
        if seeded:
            seed(self.state, now=self.state.now(), base_url=self.url, pace=pace)

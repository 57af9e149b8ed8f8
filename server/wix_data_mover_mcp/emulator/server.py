"""Run the emulator on a loopback port, in a background thread or in the foreground."""

from __future__ import annotations

from pathlib import Path

from ..serve.http_server import BackgroundServer
from .app import create_app
from .saved import SavedDemo
from .seed import DEMO_API_KEY, seed
from .state import EmulatorState


class Emulator(BackgroundServer):
    """The Data Mover API on 127.0.0.1, seeded with demo jobs. Use as a context manager.

    With `saved`, the demo is the one that file keeps (saved.py): its seeded jobs move along
    the timeline it began, with the jobs submitted or stopped in it, by this emulator or any
    other with the same file. Without, it is a demo of its own that begins now."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        seeded: bool = True,
        pace: float = 1.0,
        saved: Path | None = None,
    ) -> None:
        self.state = EmulatorState(api_keys={DEMO_API_KEY}, pace=pace)
        super().__init__(create_app(self.state), host=host, port=port)
        if seeded:
            kept = SavedDemo(saved) if saved is not None else None
            began = kept.start(self.state.now()) if kept is not None else self.state.now()
            seed(self.state, now=began, base_url=self.url, pace=pace)
            if kept is not None:
                kept.attach(self.state, self.url)

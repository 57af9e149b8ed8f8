from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sysconfig
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hypothesis
import pytest
from mcp.types import CallToolResult, TextContent

from wix_data_mover_mcp.cli.demo import demo_settings
from wix_data_mover_mcp.cli.wording import program
from wix_data_mover_mcp.config import Settings
from wix_data_mover_mcp.emulator import Emulator
from wix_data_mover_mcp.wix.http import RetryPolicy

from .payloads import API_KEY, SITE_ID

# Quick by default; CI runs the thorough profile (HYPOTHESIS_PROFILE=thorough).
hypothesis.settings.register_profile("default", max_examples=20, deadline=None)
hypothesis.settings.register_profile("thorough", max_examples=300, deadline=None)
hypothesis.settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# A raw MCP initialize request, and the headers streamable HTTP asks of every POST.
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "t", "version": "1"},
    },
}
ACCEPT = {"accept": "application/json, text/event-stream", "content-type": "application/json"}
FAST_RETRY = RetryPolicy(first_backoff=0.01, max_backoff=0.05, max_retry_after=0.2, deadline=5)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings() -> Settings:
    return Settings.model_validate({"api_key": API_KEY, "site_id": SITE_ID})


@pytest.fixture(scope="session", autouse=True)
def _a_demo_of_the_sessions_own(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Fixtures wider than one test (a module's demo jobs) keep their --demo state in a file of
    the session's own, never in the user's cache; each test then gets one of its own."""
    with pytest.MonkeyPatch.context() as patch:
        folder = tmp_path_factory.mktemp("demo-state")
        patch.setenv("WIX_DEMO_STATE", str(folder / "demo.json"))
        yield


@pytest.fixture(autouse=True)
def _no_wix_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests must not pick up a developer's real credentials, nor touch the demo kept in their
    cache: each test's --demo commands share a demo of the test's own."""
    for name in ("API_KEY", "SITE_ID", "ACCOUNT_ID", "API_BASE_URL", "API_TIMEOUT"):
        monkeypatch.delenv(f"WIX_{name}", raising=False)
    monkeypatch.setenv("WIX_DEMO_STATE", str(tmp_path / "demo-state" / "demo.json"))
    # Commands the command line suggests start as a person with it on PATH runs it, however
    # the suite itself was started (`uv run pytest` would make them 'uv run ...').
    monkeypatch.delenv("UV_RUN_RECURSION_DEPTH", raising=False)
    scripts = sysconfig.get_path("scripts")
    monkeypatch.setenv("PATH", os.pathsep.join([scripts, os.environ.get("PATH", "")]))
    program.cache_clear()


def texts(result: CallToolResult) -> list[str]:
    """The text blocks of a tool result, in order."""
    assert all(isinstance(block, TextContent) for block in result.content)
    return [block.text for block in result.content if isinstance(block, TextContent)]


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    """The seeded emulator on loopback, shared by a module's tests."""
    with Emulator() as running:
        yield running


@dataclass
class RunningRedis:
    url: str
    process: subprocess.Popen[bytes]

    @contextmanager
    def frozen(self) -> Iterator[None]:
        """Redis stops answering (SIGSTOP) while the block runs, as a stalled server does."""
        self.process.send_signal(signal.SIGSTOP)
        try:
            yield
        finally:
            self.process.send_signal(signal.SIGCONT)


@pytest.fixture(scope="module")
def redis_url(redis_server: RunningRedis) -> str:
    return redis_server.url


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RunningRedis]:
    """A real Redis on loopback, started for a module's tests."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("WIX_TEST_REQUIRE_REDIS"):
            pytest.fail("redis-server is not installed, and WIX_TEST_REQUIRE_REDIS is set")
        pytest.skip("redis-server is not installed (CI installs it)")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.02)
        yield RunningRedis(f"redis://127.0.0.1:{port}/0", process)
    finally:
        process.terminate()
        process.wait(timeout=10)


def settings_for(emulator: Emulator, **overrides: Any) -> Settings:
    """The demo credentials, pointed at this emulator."""
    return demo_settings(emulator.url, **overrides)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """Two workers per core: much of the suite waits on loopback I/O and timeouts, not the CPU
    (on 2 cores, 4 workers measured about 1.5 s faster than 3 over four alternating runs)."""
    return 2 * (os.cpu_count() or 1)


def trickled_post(
    port: int, headers: dict[str, str], *, every: float = 0.05, within: float = 5.0
) -> tuple[bytes, float]:
    """POST /mcp announcing a 100,000-byte body, then send it a byte every `every` seconds, as a
    slow client does; what the server answered, and how long it kept the connection (`within`
    if it was still open then)."""
    head = "POST /mcp HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 100000\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
    answer = b""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port)) as connection:
        connection.sendall(head.encode())
        connection.settimeout(every)
        while time.monotonic() - started < within:
            try:
                connection.sendall(b" ")
                chunk = connection.recv(65536)
            except TimeoutError:
                continue
            except OSError:  # reset: closed by the server
                break
            if not chunk:
                break
            answer += chunk
    return answer, time.monotonic() - started


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The fuzzer runs first: it is the longest test, and the others fill the other workers
    meanwhile instead of waiting for it at the end."""
    items.sort(key=lambda item: item.path.name != "test_fuzz.py")

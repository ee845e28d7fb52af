"""A real Home Assistant process with the integration, against the simulator in another process.

Started once per session exactly as scripts/develop starts it; every process is stopped at the end,
also when a test fails (and by the parent-death signal when pytest itself is killed).
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
import json
from pathlib import Path
import socket
import subprocess
import sys
import threading
import time

import aiohttp
import pytest
import pytest_asyncio
import pytest_socket

from scripts.develop import seed_config, spawn, start_home_assistant, stop_process
from scripts.ha_client import HomeAssistantClient
from scripts.provision import PanelTarget, Provisioned, follow_dashboard, provision

SERVERS = 4  # Survival (running), Creative, Valheim, Rust


@dataclass(frozen=True, slots=True)
class Stack:
    """The running simulator and Home Assistant, and what the set-up created."""

    base_url: str
    access_token: str
    panel_url: str
    config_dir: Path
    entry_id: str
    servers: dict[str, dict[str, str]]
    device_ids: dict[str, str]

    @property
    def log(self) -> str:
        """Return Home Assistant's log so far."""
        return (self.config_dir / "home-assistant.log").read_text(errors="replace")


def free_port() -> int:
    """Return a TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_panel(log_file: Path) -> tuple[subprocess.Popen[bytes], PanelTarget]:
    """Start the simulator process and read its URL and key from the first line it prints."""
    process = spawn(
        [sys.executable, "-m", "tests.e2e.panel", "--servers", str(SERVERS)], log_file=log_file
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the simulator exited: {log_file.read_text()}")
        first = log_file.read_text().partition("\n")
        if first[1]:
            ready = json.loads(first[0])
            return process, PanelTarget(ready["url"], ready["api_key"], verify_ssl=False)
        time.sleep(0.05)
    stop_process(process)
    raise RuntimeError("the simulator did not start within 30 s")


def follow_in_thread(base_url: str, access_token: str, done: Provisioned) -> threading.Thread:
    """Keep the dashboard following the entities, as scripts/develop does, until HA stops.

    In a thread with a loop of its own: each test runs on a loop of its own, which would leave
    a task on the fixture's loop waiting between tests.
    """

    async def follow() -> None:
        async with (
            aiohttp.ClientSession() as session,
            HomeAssistantClient(base_url, session) as client,
        ):
            client.access_token = access_token
            await follow_dashboard(client, done)

    thread = threading.Thread(target=asyncio.run, args=(follow(),), name="dashboard", daemon=True)
    thread.start()
    return thread


@asynccontextmanager
async def running_stack(work: Path, python: str = sys.executable) -> AsyncIterator[Stack]:
    """Start the simulator and the Home Assistant of `python`, onboard, add the panel; stop both."""
    config_dir = work / "config"
    port = free_port()
    processes: list[subprocess.Popen[bytes]] = []
    following: threading.Thread | None = None
    try:
        panel_process, panel = start_panel(work / "panel.log")
        processes.append(panel_process)
        seed_config(config_dir, port=port)
        hass = start_home_assistant(config_dir, python)
        processes.append(hass)
        async with (
            aiohttp.ClientSession() as session,
            HomeAssistantClient(f"http://127.0.0.1:{port}", session) as client,
        ):
            done = await provision(client, hass, panel, expected_servers=SERVERS, within=120)
        assert client.access_token is not None
        following = follow_in_thread(client.base_url, client.access_token, done)
        yield Stack(
            base_url=client.base_url,
            access_token=client.access_token,
            panel_url=panel.url,
            config_dir=config_dir,
            entry_id=done.entry_id,
            servers=done.servers,
            device_ids=done.device_ids,
        )
    finally:
        for process in reversed(processes):
            stop_process(process)
        if following is not None:
            following.join(timeout=30)  # ends when Home Assistant closes its connection


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    """Start the pinned Home Assistant with the integration, shared by the session's e2e tests."""
    # pytest-homeassistant-custom-component blocks sockets before each test; this runs in the
    # first e2e test's set-up, and every e2e test re-enables them (socket_enabled).
    pytest_socket.enable_socket()
    async with running_stack(tmp_path_factory.mktemp("e2e")) as running:
        yield running


@pytest.fixture(autouse=True)
def _sockets(socket_enabled: None) -> None:
    """Let every e2e test use real sockets."""


@asynccontextmanager
async def client_of(stack: Stack) -> AsyncIterator[HomeAssistantClient]:
    """Return a client logged in to the stack's Home Assistant."""
    async with (
        aiohttp.ClientSession() as session,
        HomeAssistantClient(stack.base_url, session) as client,
    ):
        client.access_token = stack.access_token
        yield client


@pytest.fixture
async def ha(stack: Stack) -> AsyncIterator[HomeAssistantClient]:
    """Return a client logged in to the Home Assistant under test."""
    async with client_of(stack) as client:
        yield client

"""Fixtures: simulators served on loopback and a small client for them."""

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
import json
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy
import pytest

from simulator import ManualClock, PanelSimulator

JSON = "application/json"


@dataclass
class Reply:
    """A finished response."""

    status: int
    headers: CIMultiDictProxy[str]
    text: str

    @property
    def json(self) -> Any:
        """Return the decoded body."""
        return json.loads(self.text)

    @property
    def error(self) -> dict[str, Any]:
        """Return the first entry of a panel error body."""
        entry: dict[str, Any] = self.json["errors"][0]
        return entry


class PanelClient:
    """Talks to one simulator with its client key unless told otherwise."""

    def __init__(self, sim: PanelSimulator, session: aiohttp.ClientSession) -> None:
        """Wrap `sim` and a session."""
        self.sim = sim
        self.session = session

    async def request(
        self,
        method: str,
        path: str,
        *,
        key: str | None = "client",
        accept: str | None = JSON,
        body: Any = None,
        data: str | None = None,
        follow: bool = False,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """Send a request; `key` "client"/"application" picks the simulator's key."""
        sent = dict(headers or {})
        if key == "client":
            key = self.sim.client_key
        elif key == "application":
            key = self.sim.application_key
        if key is not None:
            sent["Authorization"] = f"Bearer {key}"
        if accept is not None:
            sent["Accept"] = accept
        if data is not None:
            sent.setdefault("Content-Type", JSON)
        assert self.sim.url is not None
        async with self.session.request(
            method,
            self.sim.url + path,
            headers=sent,
            json=body,
            data=data,
            allow_redirects=follow,
        ) as response:
            return Reply(response.status, response.headers, await response.text())

    async def get(self, path: str, **kwargs: Any) -> Reply:
        """GET `path`."""
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, body: Any = None, **kwargs: Any) -> Reply:
        """POST `path` with a JSON body."""
        return await self.request("POST", path, body=body, **kwargs)

    async def power(self, server: str, signal: Any) -> Reply:
        """Send a power signal."""
        return await self.post(f"/api/client/servers/{server}/power", {"signal": signal})

    async def command(self, server: str, command: Any) -> Reply:
        """Send a console command."""
        return await self.post(f"/api/client/servers/{server}/command", {"command": command})


type PanelFactory = Callable[..., Awaitable[PanelClient]]


@pytest.fixture
def clock() -> ManualClock:
    """Return a clock the test moves by hand."""
    return ManualClock()


@pytest.fixture
async def make_panel(socket_enabled: None, clock: ManualClock) -> AsyncIterator[PanelFactory]:
    """Return a factory that serves simulators on 127.0.0.1 and stops them afterwards."""
    started: list[PanelSimulator] = []
    session = aiohttp.ClientSession()

    async def factory(**kwargs: Any) -> PanelClient:
        kwargs.setdefault("clock", clock)
        sim = PanelSimulator(**kwargs)
        await sim.start()
        started.append(sim)
        return PanelClient(sim, session)

    yield factory
    await session.close()
    for sim in started:
        await sim.stop()


@pytest.fixture
async def panel(make_panel: PanelFactory) -> PanelClient:
    """Return a default v1 panel with three servers (the first running)."""
    return await make_panel()

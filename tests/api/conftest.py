"""Fixtures for the panel client tests: a real aiohttp session with aioresponses in front."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from types import SimpleNamespace
from typing import Any

import aiohttp
from aiohttp.client_proto import ResponseHandler
from aiohttp.streams import StreamReader
from aioresponses import aioresponses, core as aioresponses_core
import pytest
from yarl import URL

from custom_components.pterodactyl.api import PterodactylClient
from custom_components.pterodactyl.api.responses import MAX_BODY_BYTES

from .common import API_KEY, BASE_URL


class _Aiohttp314Response(aiohttp.ClientResponse):
    """A ClientResponse aioresponses 0.7.9 can build on aiohttp 3.14 (aioresponses issue #289)."""

    def __init__(self, method: str, url: URL, **kwargs: Any) -> None:
        """Supply the stream_writer aiohttp 3.14 requires; a mocked request has sent nothing."""
        kwargs.setdefault("stream_writer", SimpleNamespace(output_size=0))
        super().__init__(method, url, **kwargs)


def _roomy_stream_reader(loop: asyncio.AbstractEventLoop) -> StreamReader:
    """Build a body stream that holds a whole oversized body (the stock one stops at 128 KiB)."""
    return StreamReader(ResponseHandler(loop=loop), limit=MAX_BODY_BYTES, loop=loop)


@pytest.fixture
def mock_panel(monkeypatch: pytest.MonkeyPatch) -> Iterator[aioresponses]:
    """Intercept every aiohttp request; an unregistered URL fails like a refused connection."""
    # aioresponses builds every response, callbacks' included, from these module globals.
    monkeypatch.setattr(aioresponses_core, "ClientResponse", _Aiohttp314Response)
    monkeypatch.setattr(aioresponses_core, "stream_reader_factory", _roomy_stream_reader)
    with aioresponses() as mocked:
        yield mocked


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """Yield a real aiohttp session, closed after the test."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def client(session: aiohttp.ClientSession) -> PterodactylClient:
    """Return a client for the mocked panel with default settings."""
    return PterodactylClient(BASE_URL, API_KEY, session=session)

"""Pushed servers in tests: fast Wings sockets and reconnects, and waits for them.

A module's tests get the fast sockets by importing `panel_wings` and `fast_backoff`.
"""

import asyncio
from collections.abc import Generator
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pterodactyl.api import Backoff
from simulator import ManualClock, PanelSimulator, WingsSettings

from .common import coordinator_of, poll, wait_for_push

# Real time for a ping's round trip on loopback, set off by a leap of the clock.
PONG_TIME = 0.02


@pytest.fixture
def panel_wings() -> WingsSettings:
    """Return socket timings fast enough for tests (stats every 50 ms), without game chatter."""
    return WingsSettings(
        stats_interval=0.05,
        token_check_interval=0.05,
        state_check_interval=0.01,
        console_interval=None,
    )


@pytest.fixture(autouse=True)
def fast_backoff() -> Generator[None]:
    """Reconnect within milliseconds."""
    with patch(
        "custom_components.pterodactyl.push.RECONNECT_BACKOFF", Backoff(initial=0.01, maximum=0.04)
    ):
        yield


async def all_live(entry: MockConfigEntry, simulator: PanelSimulator) -> None:
    """Wait until every server's socket is authenticated."""
    push = coordinator_of(entry).push
    await wait_for_push(entry, lambda: all(push.is_live(i) for i in simulator.servers))


def usage_requests(simulator: PanelSimulator, identifier: str | None = None) -> int:
    """Return how many /resources requests were made (for one server)."""
    return len(simulator.api_requests(server=identifier, path_contains="/resources"))


async def advance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, clock: ManualClock, minutes: float
) -> None:
    """Let Home Assistant's and the panel's time pass in poll-sized steps."""
    # One leap would fire every timer at once: heartbeats would time out before any pong.
    for _ in range(round(minutes * 2)):
        clock.advance(30)
        await poll(hass, freezer, 30)
        # Not a wait for a condition: real time for the round trip of a ping the jump set off,
        # which happens inside aiohttp, out of sight.
        await asyncio.sleep(PONG_TIME)

"""Console lines as events for automations, within a rate limit per server."""

import asyncio
from typing import Any
from unittest.mock import patch

from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.pterodactyl.console import TokenBucket
from custom_components.pterodactyl.const import (
    CONF_CONSOLE_EVENTS,
    CONSOLE_EVENT_BURST,
    DOMAIN,
    EVENT_CONSOLE_OUTPUT,
)
from simulator import PanelSimulator

from .common import SURVIVAL, server_at, settle, wait_for_events, wait_for_state
from .pushing import all_live, fast_backoff, panel_wings  # noqa: F401


async def setup_entry(
    hass: HomeAssistant, entry: MockConfigEntry, simulator: PanelSimulator, *, events: bool
) -> list[Event[Any]]:
    """Set the entry up with console events on or off; return the events captured."""
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, options={CONF_CONSOLE_EVENTS: events})
    captured = async_capture_events(hass, EVENT_CONSOLE_OUTPUT)
    await hass.config_entries.async_setup(entry.entry_id)
    await settle(hass)
    await all_live(entry, simulator)
    return captured


async def test_console_line_fires_an_event(
    hass: HomeAssistant, simulator: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """A line carries the server's identifier, name and device, and never the key or token."""
    events = await setup_entry(hass, mock_config_entry, simulator, events=True)
    survival = server_at(simulator, SURVIVAL)
    simulator.console_line(survival.identifier, "[Server thread/INFO]: Steve joined the game")
    await wait_for_events(hass, EVENT_CONSOLE_OUTPUT, events, 1)
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, survival.identifier), mock_config_entry.entry_id
    )
    assert device is not None
    assert events[0].data == {
        "identifier": survival.identifier,
        "name": "Survival",
        "device_id": device.id,
        "line": "[Server thread/INFO]: Steve joined the game",
        "dropped": 0,
    }
    assert simulator.client_key not in str(events[0].data)
    assert "token" not in events[0].data


async def test_flood_is_rate_limited(
    hass: HomeAssistant, simulator: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """A flood passes its burst, then the next event says how many lines were left out."""
    events = await setup_entry(hass, mock_config_entry, simulator, events=True)
    identifier = server_at(simulator, SURVIVAL).identifier
    # A slow refill keeps the count exact however long the flood takes to arrive.
    with patch("custom_components.pterodactyl.console.CONSOLE_EVENT_RATE", 1.0):
        for number in range(200):
            simulator.console_line(identifier, f"spam {number}")
        await all_lines_read(hass, simulator)
        assert len(events) == CONSOLE_EVENT_BURST
        # Not a wait for a condition: the bucket refills on the event loop's clock, one line a
        # second here, and this lets that second pass.
        await asyncio.sleep(1.1)
        simulator.console_line(identifier, "after the flood")
        await wait_for_events(hass, EVENT_CONSOLE_OUTPUT, events, CONSOLE_EVENT_BURST + 1)
    assert events[-1].data["line"] == "after the flood"
    assert events[-1].data["dropped"] == 200 - CONSOLE_EVENT_BURST
    assert events[-2].data["dropped"] == 0


async def test_events_off_by_default(
    hass: HomeAssistant, simulator: PanelSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """Without the option no console event fires."""
    events = await setup_entry(hass, mock_config_entry, simulator, events=False)
    simulator.console_line(server_at(simulator, SURVIVAL).identifier, "Alex joined the game")
    await all_lines_read(hass, simulator)
    assert events == []


async def all_lines_read(hass: HomeAssistant, simulator: PanelSimulator) -> None:
    """Return once the integration has read every console line Survival's socket was sent.

    Wings sends a socket's frames in order: a status sent after the lines is read after them.
    """
    survival = server_at(simulator, SURVIVAL)
    simulator.send_websocket_event(survival.identifier, "status", "stopping")
    await wait_for_state(hass, "sensor", survival, "state", "stopping")


def test_token_bucket_refills() -> None:
    """The bucket allows its burst, then the rate, counting what it refused."""
    now = [0.0]
    bucket = TokenBucket(2.0, 3, clock=lambda: now[0])
    assert [bucket.take() for _ in range(5)] == [True, True, True, False, False]
    assert bucket.dropped == 2
    now[0] = 1.0
    assert [bucket.take() for _ in range(3)] == [True, True, False]

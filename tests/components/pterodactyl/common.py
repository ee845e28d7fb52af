"""Helpers shared by the entity and coordinator tests."""

import asyncio
from datetime import timedelta
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.pterodactyl.const import DOMAIN
from custom_components.pterodactyl.push import TASK_NAME as WEBSOCKET_TASK
from simulator import PanelSimulator, SimServer

SURVIVAL, CREATIVE, VALHEIM = 0, 1, 2


def server_at(simulator: PanelSimulator, index: int) -> SimServer:
    """Return the simulated server in the fleet's `index`-th position."""
    return list(simulator.servers.values())[index]


def entity_id_of(hass: HomeAssistant, platform: str, server: SimServer, key: str) -> str | None:
    """Return the entity ID of a server's entity, None when it was not created."""
    return er.async_get(hass).async_get_entity_id(platform, DOMAIN, f"{server.uuid}_{key}")


def state_of(hass: HomeAssistant, platform: str, server: SimServer, key: str) -> str:
    """Return the state of a server's entity, which must exist."""
    entity_id = entity_id_of(hass, platform, server, key)
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


async def setup_platform(hass: HomeAssistant, entry: MockConfigEntry, platform: Platform) -> None:
    """Set the integration up with only one platform."""
    entry.add_to_hass(hass)
    with patch("custom_components.pterodactyl.PLATFORMS", [platform]):
        await hass.config_entries.async_setup(entry.entry_id)
        await settle(hass)


async def poll(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float = 30) -> None:
    """Let `seconds` of Home Assistant time pass, running the polls that fall due."""
    # Not tick(): on a ticking clock (freeze_time(tick=True)) it drops the real time since the
    # clock's last move, and a poll that was due would not fire.
    freezer.move_to(dt_util.utcnow() + timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await settle(hass)


async def settle(hass: HomeAssistant) -> None:
    """Wait for all pending work, background refreshes too, but not the websockets (endless)."""
    await hass.async_block_till_done()
    # Home Assistant's own wait_background_tasks=True would wait for the websockets forever.
    while tasks := [
        task
        for task in hass._background_tasks
        if not task.done() and not task.get_name().startswith(WEBSOCKET_TASK)
    ]:
        await asyncio.wait(tasks)
        await hass.async_block_till_done()

"""Tests of which entities a new install gets enabled, and that an existing one keeps its own."""

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pterodactyl.const import DOMAIN
from simulator import PanelSimulator

from .common import SURVIVAL, server_at

# What a dashboard needs: power, its state, and the usage a user watches.
ENABLED_FOR_NEW_INSTALLS = {
    "power",
    "state",
    "cpu_utilization",
    "cpu_load",
    "memory_usage",
    "disk_usage",
    "restart_server",
    "players_online",
    "players_max",
    "empty_since",
    "crashes_today",
}


def _keys_of_server(
    entity_registry: er.EntityRegistry, entry: MockConfigEntry, uuid: str
) -> dict[str, er.RegistryEntry]:
    """Return the server's registry entries by description key."""
    return {
        entity.unique_id.removeprefix(f"{uuid}_"): entity
        for entity in er.async_entries_for_config_entry(entity_registry, entry.entry_id)
        if entity.unique_id.startswith(f"{uuid}_")
    }


@pytest.mark.parametrize("panel_games", [True])
@pytest.mark.parametrize("panel_flavor", ["v1", "pelican"])
async def test_new_install_enables_what_a_dashboard_needs(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The switch, State, usage, Restart and players are on; the repeats wait to be enabled."""
    entities = _keys_of_server(
        entity_registry, init_integration, server_at(simulator, SURVIVAL).uuid
    )

    enabled = {key for key, entity in entities.items() if entity.disabled_by is None}
    assert enabled == ENABLED_FOR_NEW_INSTALLS
    disabled = entities.keys() - enabled
    # Killing a server can lose its world: Force stop must be enabled on purpose.
    assert {
        "uptime",
        "status",
        "suspended",
        "start_server",
        "stop_server",
        "force_stop_server",
    } <= disabled
    assert all(
        entities[key].disabled_by is er.RegistryEntryDisabler.INTEGRATION for key in disabled
    )


async def test_existing_install_keeps_its_enabled_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    simulator: PanelSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Entities an entry already has (as core created them) stay enabled after the upgrade."""
    uuid = server_at(simulator, SURVIVAL).uuid
    mock_config_entry.add_to_hass(hass)
    kept = {
        "binary_sensor": "status",
        "sensor": "uptime",
        "button": "start_server",
    }
    for platform, key in kept.items():
        entity_registry.async_get_or_create(
            platform, DOMAIN, f"{uuid}_{key}", config_entry=mock_config_entry
        )

    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    entities = _keys_of_server(entity_registry, mock_config_entry, uuid)
    for key in kept.values():
        assert entities[key].disabled_by is None
        assert hass.states.get(entities[key].entity_id) is not None

"""Tests of each game server's device: what it runs, on which panel, and where it lives."""

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.pterodactyl.const import DOMAIN
from simulator import PanelSimulator

from .common import SURVIVAL, VALHEIM, entity_id_of, poll, server_at


@pytest.mark.parametrize(
    ("panel_flavor", "manufacturer", "survival_model", "valheim_model"),
    [
        ("v1", "Pterodactyl", "Paper", "Valheim"),
        ("pelican", "Pelican", "Paper", "Valheim"),
        # 0.7 lists neither the egg nor the image: no model rather than a made-up one.
        ("legacy", "Pterodactyl", None, None),
    ],
)
async def test_device_says_what_the_server_runs(
    hass: HomeAssistant,
    *,
    device_registry: dr.DeviceRegistry,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
    manufacturer: str,
    survival_model: str | None,
    valheim_model: str | None,
) -> None:
    """The egg is the model, the panel the manufacturer; the device links to the server page."""
    devices = {
        identifier: device
        for device in dr.async_entries_for_config_entry(device_registry, init_integration.entry_id)
        for _, identifier in device.identifiers
    }
    for index, model in ((SURVIVAL, survival_model), (VALHEIM, valheim_model)):
        server = server_at(simulator, index)
        device = devices[server.identifier]
        assert (device.name, device.manufacturer, device.model) == (
            server.name,
            manufacturer,
            model,
        )
        assert device.serial_number == server.uuid
        assert device.configuration_url == f"{simulator.url}/server/{server.identifier}"


async def test_device_follows_a_rename_on_the_panel(
    hass: HomeAssistant,
    *,
    freezer: FrozenDateTimeFactory,
    device_registry: dr.DeviceRegistry,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A server renamed on the panel renames its device and entities; a user's own name stays."""
    survival, valheim = server_at(simulator, SURVIVAL), server_at(simulator, VALHEIM)
    entry_id = init_integration.entry_id
    survival_device = device_registry.async_get_device_by_identifier(
        (DOMAIN, survival.identifier), entry_id
    )
    valheim_device = device_registry.async_get_device_by_identifier(
        (DOMAIN, valheim.identifier), entry_id
    )
    assert survival_device is not None
    assert valheim_device is not None
    device_registry.async_update_device(valheim_device.id, name_by_user="Viking island")
    survival.name = "Survival 1.21"
    valheim.name = "Valheim (ashlands)"

    await poll(hass, freezer, seconds=6 * 60)  # the server list is read again

    survival_device = device_registry.async_get(survival_device.id)
    assert survival_device is not None
    assert survival_device.name == "Survival 1.21"
    state = hass.states.get(entity_id_of(hass, "sensor", survival, "state") or "")
    assert state is not None
    assert state.attributes["friendly_name"] == "Survival 1.21 State"
    valheim_device = device_registry.async_get(valheim_device.id)
    assert valheim_device is not None
    assert (valheim_device.name, valheim_device.name_by_user) == (
        "Valheim (ashlands)",
        "Viking island",
    )

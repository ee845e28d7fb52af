"""Tests of each game server's device: what it runs, on which panel, and where it lives."""

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from simulator import PanelSimulator

from .common import SURVIVAL, VALHEIM, server_at


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

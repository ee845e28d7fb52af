"""Tests of the diagnostics: useful to a maintainer, and free of the key and personal data."""

import json

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
    get_diagnostics_for_device,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.pterodactyl.const import DOMAIN
from simulator import PanelSimulator

# The simulator's flavour names and the integration's names for the same API generations.
FLAVORS = {"v1": "pterodactyl", "legacy": "legacy", "pelican": "pelican"}


def _assert_nothing_secret(diagnostics: object, simulator: PanelSimulator) -> None:
    """Assert the key, the panel's address and the account's personal data are all absent."""
    dumped = json.dumps(diagnostics)
    assert simulator.url is not None
    for secret in (
        simulator.client_key,
        simulator.url,
        simulator.url.removeprefix("http://"),
        simulator.account.email,
        simulator.account.username,
    ):
        assert secret not in dumped


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """Entry, panel, rate limit, account and every server, with secrets redacted."""
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)

    assert diagnostics == snapshot
    _assert_nothing_secret(diagnostics, simulator)


@pytest.mark.parametrize("panel_flavor", ["v1", "legacy", "pelican"])
async def test_diagnostics_name_the_flavour(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
    panel_flavor: str,
) -> None:
    """The panel's API generation, which explains most differences, is always shown."""
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)

    assert diagnostics["panel"]["flavor"] == FLAVORS[panel_flavor]
    _assert_nothing_secret(diagnostics, simulator)


async def test_diagnostics_while_panel_is_down(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A failed update shows as such, with its reason, and the last known servers remain."""
    await simulator.stop()
    await init_integration.runtime_data.async_refresh()

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)

    coordinator = diagnostics["coordinator"]
    assert coordinator["last_update_success"] is False
    assert coordinator["last_exception"].startswith("UpdateFailed: Cannot connect to the panel: ")
    assert len(diagnostics["servers"]) == 3


async def test_device_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A server's device page gives the entry's diagnostics with only that server."""
    survival = next(s for s in simulator.servers.values() if s.name == "Survival")
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, survival.identifier), init_integration.entry_id
    )
    assert device is not None

    diagnostics = await get_diagnostics_for_device(hass, hass_client, init_integration, device)
    entry_diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)

    assert list(diagnostics["servers"]) == [survival.identifier]
    assert diagnostics["servers"][survival.identifier]["server"]["name"] == "Survival"
    assert diagnostics["servers"] == {
        survival.identifier: entry_diagnostics["servers"][survival.identifier]
    }
    assert diagnostics["panel"]["flavor"] == "pterodactyl"
    assert diagnostics["account"] == entry_diagnostics["account"]
    _assert_nothing_secret(diagnostics, simulator)

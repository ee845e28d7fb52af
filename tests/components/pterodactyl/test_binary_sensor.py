"""Tests of the binary sensors: running and suspended, on every panel flavour."""

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from simulator import PanelSimulator

from .common import SURVIVAL, VALHEIM, poll, server_at, setup_platform, state_of

# Both are disabled for new installs (the State sensor says the same); enabled here to be tested.
pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")


@pytest.mark.parametrize("panel_flavor", ["v1", "legacy", "pelican"])
async def test_binary_sensors(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    simulator: PanelSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Every binary sensor of every server, as the panel reports them."""
    await setup_platform(hass, mock_config_entry, Platform.BINARY_SENSOR, simulator)
    await snapshot_platform(hass, entity_registry, snapshot, mock_config_entry.entry_id)


@pytest.mark.parametrize("panel_flavor", ["v1", "pelican"])
# Poll only: a suspension is read from the panel's answer to a usage read.
@pytest.mark.parametrize("websocket_push", [False])
async def test_suspended_server(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: PanelSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A suspended server is known not to run; unsuspended, it is not suspended any more."""
    await setup_platform(hass, mock_config_entry, Platform.BINARY_SENSOR, simulator)
    survival = server_at(simulator, SURVIVAL)
    assert state_of(hass, "binary_sensor", survival, "status") == STATE_ON
    assert state_of(hass, "binary_sensor", survival, "suspended") == STATE_OFF

    simulator.suspend(survival.identifier)
    await poll(hass, freezer)
    assert state_of(hass, "binary_sensor", survival, "status") == STATE_OFF
    assert state_of(hass, "binary_sensor", survival, "suspended") == STATE_ON

    simulator.suspend(survival.identifier, suspended=False)
    await poll(hass, freezer)
    assert state_of(hass, "binary_sensor", survival, "suspended") == STATE_OFF


@pytest.mark.parametrize("panel_flavor", ["v1", "legacy", "pelican"])
# Poll only: the node's state is read from the panel's answer to a usage read.
@pytest.mark.parametrize("websocket_push", [False])
async def test_node_down(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: PanelSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """With the node down, whether the server runs is unknown; that it is not suspended is not."""
    await setup_platform(hass, mock_config_entry, Platform.BINARY_SENSOR, simulator)
    survival, valheim = server_at(simulator, SURVIVAL), server_at(simulator, VALHEIM)

    simulator.set_node_down(survival.identifier)
    await poll(hass, freezer)

    assert state_of(hass, "binary_sensor", survival, "status") == STATE_UNAVAILABLE
    assert state_of(hass, "binary_sensor", survival, "suspended") == STATE_OFF
    assert state_of(hass, "binary_sensor", valheim, "status") == STATE_OFF

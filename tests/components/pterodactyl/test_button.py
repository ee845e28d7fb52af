"""Tests of the power buttons: what the panel receives and what a user sees or is told."""

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.const import ATTR_ENTITY_ID, STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from simulator import PanelSimulator
from simulator.clock import ManualClock

from .common import CREATIVE, SURVIVAL, entity_id_of, poll, server_at, setup_platform, state_of

# Only Restart is enabled for new installs; the others are enabled here to be tested.
pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")


async def _press(hass: HomeAssistant, entity_id: str | None) -> None:
    """Press a button."""
    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )


@pytest.mark.parametrize("panel_flavor", ["v1", "legacy", "pelican"])
async def test_buttons(
    hass: HomeAssistant,
    *,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    simulator: PanelSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Every button of every server."""
    await setup_platform(hass, mock_config_entry, Platform.BUTTON, simulator)
    await snapshot_platform(hass, entity_registry, snapshot, mock_config_entry.entry_id)


@pytest.mark.parametrize("panel_flavor", ["v1", "legacy", "pelican"])
@pytest.mark.parametrize(
    ("index", "key", "signal", "shown"),
    [
        (CREATIVE, "start_server", "start", "starting"),
        (SURVIVAL, "stop_server", "stop", "stopping"),
        # A restart's expected effect; the panel's stopping shows at the next poll.
        (SURVIVAL, "restart_server", "restart", "starting"),
        (SURVIVAL, "force_stop_server", "kill", "offline"),
    ],
)
async def test_press(
    hass: HomeAssistant,
    *,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
    index: int,
    key: str,
    signal: str,
    shown: str,
) -> None:
    """Each button sends its signal and the state follows at once."""
    server = server_at(simulator, index)

    await _press(hass, entity_id_of(hass, "button", server, key))

    assert server.power_signals == [signal]
    assert state_of(hass, "sensor", server, "state") == shown


# Poll only: this is how a poll, which sees no `starting`, recognises a restart.
@pytest.mark.parametrize("websocket_push", [False])
async def test_restart_seen_through_a_fresh_uptime(
    hass: HomeAssistant,
    *,
    freezer: FrozenDateTimeFactory,
    simulator: PanelSimulator,
    panel_clock: ManualClock,
    init_integration: MockConfigEntry,
) -> None:
    """A restart over before the next poll is recognised by the uptime starting again."""
    survival = server_at(simulator, SURVIVAL)

    await _press(hass, entity_id_of(hass, "button", survival, "restart_server"))
    assert state_of(hass, "sensor", survival, "state") == "starting"

    panel_clock.advance(25)
    await poll(hass, freezer, 2)

    assert state_of(hass, "sensor", survival, "state") == "running"
    assert init_integration.runtime_data.update_interval.total_seconds() == 30


# Poll only: the suspension and the node down are read from the panel's usage answers.
@pytest.mark.parametrize("websocket_push", [False])
async def test_errors_are_explained(
    hass: HomeAssistant,
    *,
    freezer: FrozenDateTimeFactory,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The panel's refusal reaches the user in words; a server with its node down has no buttons."""
    survival, creative = server_at(simulator, SURVIVAL), server_at(simulator, CREATIVE)
    simulator.suspend(survival.identifier)
    simulator.make_subuser(creative.identifier, ["control.console"])
    await poll(hass, freezer)

    with pytest.raises(HomeAssistantError, match="Survival is suspended on the panel") as err:
        await _press(hass, entity_id_of(hass, "button", survival, "start_server"))
    assert err.value.translation_key == "server_suspended"
    with pytest.raises(HomeAssistantError, match="lacks the permission") as err:
        await _press(hass, entity_id_of(hass, "button", creative, "start_server"))
    assert err.value.translation_key == "missing_permission"
    assert creative.power_signals == []

    simulator.set_node_down(creative.identifier)
    await poll(hass, freezer)
    assert state_of(hass, "button", creative, "start_server") == STATE_UNAVAILABLE

"""Tests of the power switch: the server's main entity, named after it."""

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import (
    ATTR_ENTITY_ID,
    ATTR_FRIENDLY_NAME,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from custom_components.pterodactyl.const import DOMAIN
from simulator import Fault, FaultKind, PanelSimulator

from .common import (
    CREATIVE,
    SURVIVAL,
    VALHEIM,
    entity_id_of,
    poll,
    server_at,
    setup_platform,
    state_of,
)


@pytest.mark.parametrize("panel_flavor", ["v1", "legacy", "pelican"])
async def test_switches(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    simulator: PanelSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Every power switch, named after its server so that "turn on Survival" finds it."""
    await setup_platform(hass, mock_config_entry, Platform.SWITCH, simulator)
    await snapshot_platform(hass, entity_registry, snapshot, mock_config_entry.entry_id)


async def test_switch_carries_the_server_name(
    hass: HomeAssistant, simulator: PanelSimulator, init_integration: MockConfigEntry
) -> None:
    """The switch is the device's main feature: its name is the server's."""
    survival = server_at(simulator, SURVIVAL)
    entity_id = entity_id_of(hass, "switch", survival, "power")
    assert entity_id == "switch.survival"
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.attributes[ATTR_FRIENDLY_NAME] == "Survival"
    assert state.state == STATE_ON
    assert state_of(hass, "switch", server_at(simulator, VALHEIM), "power") == STATE_OFF


@pytest.mark.parametrize("panel_flavor", ["v1", "legacy", "pelican"])
async def test_turn_on_and_off(
    hass: HomeAssistant, simulator: PanelSimulator, init_integration: MockConfigEntry
) -> None:
    """On starts the server, off stops it gracefully."""
    creative, survival = server_at(simulator, CREATIVE), server_at(simulator, SURVIVAL)

    await hass.services.async_call(
        SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: "switch.creative"}, blocking=True
    )
    await hass.services.async_call(
        SWITCH_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: "switch.survival"}, blocking=True
    )

    assert creative.power_signals == ["start"]
    assert survival.power_signals == ["stop"]
    assert state_of(hass, "switch", creative, "power") == STATE_ON
    assert state_of(hass, "switch", survival, "power") == STATE_OFF


async def test_console_command_through_the_switch(
    hass: HomeAssistant, simulator: PanelSimulator, init_integration: MockConfigEntry
) -> None:
    """The send_command action reaches the server through its switch; refusals are explained."""
    survival = server_at(simulator, SURVIVAL)

    await hass.services.async_call(
        DOMAIN,
        "send_command",
        {ATTR_ENTITY_ID: "switch.survival", "command": "say hi"},
        blocking=True,
    )
    assert survival.commands == ["say hi"]

    with pytest.raises(HomeAssistantError, match="Valheim is offline") as err:
        await hass.services.async_call(
            DOMAIN,
            "send_command",
            {ATTR_ENTITY_ID: "switch.valheim", "command": "save"},
            blocking=True,
        )
    assert err.value.translation_key == "server_offline"


# Poll only: suspension and a node down are read from the panel's usage answers.
@pytest.mark.parametrize("websocket_push", [False])
async def test_suspended_and_unreachable(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: PanelSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A suspended server is off and says why it won't start; with its node down it is unknown."""
    survival, creative = server_at(simulator, SURVIVAL), server_at(simulator, CREATIVE)
    simulator.suspend(survival.identifier)
    simulator.set_node_down(creative.identifier)
    await poll(hass, freezer)

    assert state_of(hass, "switch", survival, "power") == STATE_OFF
    assert state_of(hass, "switch", creative, "power") == STATE_UNAVAILABLE
    with pytest.raises(HomeAssistantError, match="Survival is suspended") as err:
        await hass.services.async_call(
            SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: "switch.survival"}, blocking=True
        )
    assert err.value.translation_key == "server_suspended"


async def test_panel_unreachable_while_switching(
    hass: HomeAssistant, simulator: PanelSimulator, init_integration: MockConfigEntry
) -> None:
    """A failed action leaves the switch as it was and tells the user the panel is unreachable."""
    simulator.inject_fault(Fault(FaultKind.CLOSE, path_contains="/power"))

    with pytest.raises(HomeAssistantError, match="Cannot connect to the panel") as err:
        await hass.services.async_call(
            SWITCH_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: "switch.survival"}, blocking=True
        )
    assert err.value.translation_key == "cannot_connect"
    assert state_of(hass, "switch", server_at(simulator, SURVIVAL), "power") == STATE_ON

"""Actions a user gets wrong are told apart from failures: ServiceValidationError, plain words."""

from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest

from custom_components.pterodactyl.const import DOMAIN
from simulator import PanelSimulator

from .common import CREATIVE, SURVIVAL, entity_id_of, server_at

pytestmark = pytest.mark.usefixtures("init_integration")


async def _command(hass: HomeAssistant, entity_id: str | None, command: str) -> None:
    """Send a console command through the action, waiting for it."""
    await hass.services.async_call(
        DOMAIN, "send_command", {ATTR_ENTITY_ID: entity_id, "command": command}, blocking=True
    )


async def test_leading_slash_is_dropped(hass: HomeAssistant, simulator: PanelSimulator) -> None:
    """Typed as in the game's chat, "/say hi" reaches the console as "say hi"."""
    survival = server_at(simulator, SURVIVAL)
    await _command(hass, entity_id_of(hass, "switch", survival, "power"), "/ say hi")
    assert survival.commands == ["say hi"]


async def test_a_lone_slash_is_no_command(hass: HomeAssistant, simulator: PanelSimulator) -> None:
    """Nothing is left of "/" once the slash is dropped: refused before the panel is asked."""
    survival = server_at(simulator, SURVIVAL)
    simulator.requests.clear()
    with pytest.raises(Exception, match="length"):
        await _command(hass, entity_id_of(hass, "switch", survival, "power"), "/")
    assert simulator.api_requests() == []


@pytest.mark.parametrize("panel_flavor", ["v1", "pelican"])
async def test_offline_server_is_the_users_to_start(
    hass: HomeAssistant, simulator: PanelSimulator
) -> None:
    """A command to a stopped server is a ServiceValidationError: the user can start it."""
    creative = server_at(simulator, CREATIVE)
    with pytest.raises(ServiceValidationError) as raised:
        await _command(hass, entity_id_of(hass, "switch", creative, "power"), "list")
    assert raised.value.translation_key == "server_offline"


async def test_suspended_server_is_no_failure_of_home_assistant(
    hass: HomeAssistant, simulator: PanelSimulator
) -> None:
    """A suspended server's refusal is a ServiceValidationError too."""
    survival = server_at(simulator, SURVIVAL)
    simulator.suspend(survival.identifier)
    with pytest.raises(ServiceValidationError) as raised:
        await _command(hass, entity_id_of(hass, "switch", survival, "power"), "list")
    assert raised.value.translation_key == "server_suspended"


async def test_unreachable_panel_is_a_failure_in_one_sentence(
    hass: HomeAssistant, simulator: PanelSimulator
) -> None:
    """A panel that cannot be reached is Home Assistant's error, said once, in plain words."""
    entity_id = entity_id_of(hass, "switch", server_at(simulator, SURVIVAL), "power")
    await simulator.stop()
    with pytest.raises(HomeAssistantError) as raised:
        await _command(hass, entity_id, "list")
    assert not isinstance(raised.value, ServiceValidationError)
    # The pooled connection may be refused or closed: either way one sentence, no class name.
    assert str(raised.value) in {
        "Cannot connect to the panel: the connection was refused or the host is unreachable",
        "Cannot connect to the panel: it closed the connection before answering",
    }

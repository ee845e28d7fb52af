"""Assist controls a game server by name through Home Assistant's default conversation agent."""

from homeassistant.components import conversation
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import intent
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from simulator import PanelSimulator

from .common import SURVIVAL, entity_id_of, server_at, settle


async def test_turn_off_and_on_by_voice(
    hass: HomeAssistant, simulator: PanelSimulator, init_integration: MockConfigEntry
) -> None:
    """'turn off Survival' and 'turn on Survival' reach the panel as stop and start."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})
    survival = server_at(simulator, SURVIVAL)
    entity_id = entity_id_of(hass, SWITCH_DOMAIN, survival, "power")
    assert entity_id is not None
    async_expose_entity(hass, conversation.DOMAIN, entity_id, True)

    for sentence in ("turn off Survival", "turn on Survival"):
        result = await conversation.async_converse(hass, sentence, None, Context(), "en")
        await settle(hass)
        assert result.response.response_type is intent.IntentResponseType.ACTION_DONE, sentence

    assert survival.power_signals == ["stop", "start"]

"""Assist controls a game server and tells its players, through Home Assistant's default agent."""

from homeassistant.components import conversation
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.components.sensor import DOMAIN as SENSOR_DOMAIN
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import intent
from homeassistant.setup import async_setup_component
import pytest
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


@pytest.mark.parametrize("panel_games", [True])
@pytest.mark.parametrize(
    "sentence",
    [
        "What is the number of Survival players online?",
        "what is Survival players online",
        "what's the value of Survival players online",
    ],
)
async def test_players_online_by_voice(
    hass: HomeAssistant,
    simulator: PanelSimulator,
    mock_config_entry: MockConfigEntry,
    sentence: str,
) -> None:
    """Asking for the Players online sensor by its name answers the count the game reports."""
    survival = server_at(simulator, SURVIVAL)
    for player in ("Steve", "Alex"):
        simulator.game(survival.identifier).join(player)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await settle(hass)
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})
    entity_id = entity_id_of(hass, SENSOR_DOMAIN, survival, "players_online")
    assert entity_id is not None
    async_expose_entity(hass, conversation.DOMAIN, entity_id, True)

    result = await conversation.async_converse(hass, sentence, None, Context(), "en")

    response = result.response
    assert response.response_type is intent.IntentResponseType.QUERY_ANSWER
    assert [state.entity_id for state in response.matched_states] == [entity_id]
    assert response.speech["plain"]["speech"] == "Survival players online is 2"
